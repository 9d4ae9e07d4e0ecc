"""The model's mechanisms as pure functions of a World and this month's readings.

- :mod:`~multipolar.mechanisms.budgets`: capabilities, the security dilemma and economic
  statecraft set each power's monthly budget per domain (mechanisms 1-3);
- :mod:`~multipolar.mechanisms.instruments`: the budget is shared out over the power's
  instruments by weights that sum to 1 (conservation; cohesion, mechanism 6);
- :mod:`~multipolar.mechanisms.alignment`: states score the powers and hedge (mechanism 4);
- :mod:`~multipolar.mechanisms.organizations`: cohesion and membership rules (mechanism 6);
- :mod:`~multipolar.mechanisms.partnership`: contest and partnership (mechanism 5).

Equations, keys and defaults are in ``docs/model.md``.
"""
