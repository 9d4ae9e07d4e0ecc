"""Typed, frozen scenario schema (pydantic v2).

Every table forbids unknown keys, so a typo is an error rather than a silently ignored
setting, and every float must be finite. Cross-references between tables (a membership
naming a state that does not exist, an event naming an unknown base) are checked in
:mod:`multipolar.config.checks`, which sees the whole scenario.

Two kinds of numbers live here: sourced figures (:class:`Figure`: GDP, military
expenditure, population, growth) that carry their year and source, and model parameters
(diffusivities, weights, thresholds) that are assumptions of the model, documented in
docs/model.md and varied by sweeps.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DOMAINS",
    "EVENT_KINDS",
    "AlignmentShockEvent",
    "AlignmentSpec",
    "BaseRules",
    "BaseSpec",
    "CapabilitySpec",
    "CapacityShockEvent",
    "CohesionSpec",
    "Capital",
    "ChannelDiffusion",
    "ConductanceSpec",
    "DiffusionSpec",
    "Event",
    "Figure",
    "Growth",
    "GeographySpec",
    "INSTRUMENT_KINDS",
    "LinkSpec",
    "MembershipEvent",
    "MembershipRules",
    "MetricsSpec",
    "OrganizationSpec",
    "ParameterChangeEvent",
    "PartnershipDynamicsSpec",
    "PowerSpec",
    "ProjectSpec",
    "RunSpec",
    "SecurityDilemmaSpec",
    "StatecraftSpec",
    "Scenario",
    "SiteEvent",
    "SiteSize",
    "StateSpec",
    "TreatyEvent",
    "TreatySpec",
]

DOMAINS: tuple[str, str] = ("security", "economy")

Domain = Literal["security", "economy"]
Role = Literal["great_power", "regional_power", "central_asia", "other"]
TreatyStatus = Literal["in_force", "suspended", "withdrawn"]
# Numbers are strict: a quoted "0.2" or a boolean is not a number. Every model parameter has
# an upper bound that keeps the model's arithmetic finite and its meaning intact.
Fraction = Annotated[float, Field(ge=0.0, le=1.0, strict=True)]
NonNegative = Annotated[float, Field(ge=0.0, strict=True)]
Positive = Annotated[float, Field(gt=0.0, strict=True)]
# a relative weight or response: 0 switches a mechanism off, 100 makes it dominate every other
Weight = Annotated[float, Field(ge=0.0, le=100.0, strict=True)]
PositiveWeight = Annotated[float, Field(gt=0.0, le=100.0, strict=True)]
# a sourced amount (US$ billion, million people, troops): 0 to 1e9 (world GDP is ~1e5 bn)
Amount = Annotated[float, Field(ge=0.0, le=1e9, strict=True)]
Year = Annotated[int, Field(ge=1900, le=2100, strict=True)]
Text = Annotated[str, Field(min_length=1)]
Lon = Annotated[float, Field(ge=-180.0, le=180.0, strict=True)]
Lat = Annotated[float, Field(ge=-90.0, le=90.0, strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _check_date(value: dt.date) -> dt.date:
    if not dt.date(1900, 1, 1) <= value <= dt.date(2100, 12, 31):
        raise ValueError("date must lie between 1900-01-01 and 2100-12-31")
    return value


Date = Annotated[dt.date, AfterValidator(_check_date)]


class Figure(_Strict):
    """A sourced number: the value, the year it refers to, and where it comes from."""

    value: Amount
    year: Year
    source: Text
    note: str = ""


class Growth(_Strict):
    """A sourced growth rate (fraction per year; may be negative, above -1)."""

    value: Annotated[float, Field(gt=-1.0, lt=1.0, strict=True)]
    year: Year
    source: Text
    note: str = ""


class Capital(_Strict):
    """A capital city and its coordinates in degrees."""

    name: Text
    lon: Lon
    lat: Lat


class StateSpec(_Strict):
    """A state: sourced capacity figures plus the behavioural parameters of docs/model.md §7.4."""

    name: Text
    role: Role
    capital: Capital
    gdp: Figure
    military_expenditure: Figure | None = None
    population: Figure | None = None
    gdp_growth: Growth | None = None
    notes: str = ""
    security_need: Fraction | None = None
    economy_need: Fraction | None = None
    initial_alignment: dict[str, Weight] | None = None


InstrumentKind = Literal["territory", "bases", "projects", "organizations", "links"]
INSTRUMENT_KINDS: tuple[str, ...] = get_args(InstrumentKind)


def _default_instruments() -> dict[Domain, dict[InstrumentKind, Weight]]:
    return {domain: dict.fromkeys(INSTRUMENT_KINDS, 1.0) for domain in ("security", "economy")}


class PowerSpec(_Strict):
    """How a great power projects its capability into the region (assumptions, sweepable).

    ``instruments`` weighs each kind of instrument in each domain; a power's monthly budget
    in a domain is shared out over its active instruments by weights that sum to 1.
    """

    regional_weight: Fraction = 1.0
    effort: dict[Domain, Fraction] = Field(
        default_factory=lambda: {"security": 0.5, "economy": 0.5}
    )
    instruments: dict[Domain, dict[InstrumentKind, Weight]] = Field(
        default_factory=_default_instruments
    )
    near_abroad: tuple[str, ...] = ()


class MembershipRules(_Strict):
    """Admission and exit by alignment with the leaders, with hysteresis (docs/model.md §7.6).

    A member leaves after ``patience_months`` below ``leave_threshold`` or below
    ``leave_ratio`` times its best level of the last ``memory_months`` (a turn; 0 = off).
    """

    enabled: bool = True
    join_threshold: Fraction = 0.6
    leave_threshold: Fraction = 0.2
    leave_ratio: Fraction = 0.0
    memory_months: Annotated[int, Field(ge=1, le=600, strict=True)] = 36
    patience_months: Annotated[int, Field(ge=1, le=600, strict=True)] = 12
    candidates: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _hysteresis(self) -> MembershipRules:
        if self.leave_threshold >= self.join_threshold:
            raise ValueError("leave_threshold must be below join_threshold (hysteresis)")
        return self


class BaseRules(_Strict):
    """Eviction of foreign bases by their hosts (docs/model.md §7.6).

    A host whose alignment with a base's power stays below ``evict_ratio`` times its highest
    level over the last ``memory_months`` months, for ``patience_months`` consecutive months,
    closes the base (Karshi-Khanabad 2005, Manas 2014): a host evicts a power it has turned
    from, not one it never leaned to or drifted from over decades.
    """

    enabled: bool = True
    evict_ratio: Fraction = 0.6
    memory_months: Annotated[int, Field(ge=1, le=600, strict=True)] = 36
    patience_months: Annotated[int, Field(ge=1, le=600, strict=True)] = 12


class OrganizationSpec(_Strict):
    """An organization: sourced founding and membership dates plus its model parameters."""

    name: Text
    founded: Date | None = None
    members: dict[str, Date] = Field(default_factory=dict)
    source: str = ""
    note: str = ""
    leaders: dict[str, PositiveWeight] = Field(default_factory=dict)
    domains: dict[Domain, Fraction] = Field(
        default_factory=lambda: {"security": 0.5, "economy": 0.5}
    )
    strength: Weight = 1.0
    rules: MembershipRules = Field(default_factory=MembershipRules)


class TreatySpec(_Strict):
    """An arms-control treaty: parties' status at the start and the restraint it imposes."""

    name: Text
    signed: Date | None = None
    parties: dict[str, TreatyStatus] = Field(default_factory=dict)
    source: str = ""
    note: str = ""
    restraint: Fraction = 0.1
    suspended_restraint: Fraction = 0.05


SizeUnit = Literal["troops", "usd_bn", "usd_bn_per_year", "tiv_mn"]


class SiteSize(_Strict):
    """The sourced size of an instrument: troops at a base, US$ invested in a project, ...

    Sizes weigh a power's instruments of one kind against each other, so only their ratios
    within a kind matter, and they must share a unit there.
    """

    value: Annotated[float, Field(gt=0.0, le=1e9, strict=True)]
    unit: SizeUnit
    year: Year
    source: Text
    note: str = ""


class BaseSpec(_Strict):
    """A foreign military base: a point source of its power's security influence.

    ``part_of`` names the base record whose reported size covers this garrison too; the
    size is then shared evenly among the records of that base.
    """

    id: Text
    name: Text
    power: Text
    host: Text
    lon: Lon
    lat: Lat
    opened: Date
    closed: Date | None = None
    source: str = ""
    note: str = ""
    size: SiteSize | None = None
    part_of: str | None = None


class ProjectSpec(_Strict):
    """A project or corridor (a point or polyline) emitting one power's influence in one domain."""

    id: Text
    name: Text
    power: Text
    domain: Domain = "economy"
    path: tuple[tuple[Lon, Lat], ...] = Field(min_length=1)
    opened: Date
    closed: Date | None = None
    source: str = ""
    note: str = ""
    size: SiteSize | None = None


class LinkSpec(_Strict):
    """A power's presence over a whole state in one domain: remittances, arms transfers, ...

    Emitted evenly over the state's territory, like an organization over its members.
    """

    id: Text
    name: Text
    power: Text
    state: Text
    domain: Domain
    opened: Date
    closed: Date | None = None
    source: str = ""
    note: str = ""
    size: SiteSize | None = None


class ConflictSpec(_Strict):
    """A dated dispute between two states: each discounts the powers the other aligns with.

    Armenia and Azerbaijan over Nagorno-Karabakh, Armenia and Turkey (border closed since
    1993): a power backing one's adversary is read as a threat, not a protector (§7.4).
    """

    states: tuple[Text, Text]
    start: Date
    end: Date | None = None
    source: Text
    note: str = ""


class _EventBase(_Strict):
    # an optional name, so a variant or ``--set events.<id>.factor=...`` can address the event
    id: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$", max_length=64)] | None = None
    date: Date
    source: str = ""
    note: str = ""


class MembershipEvent(_EventBase):
    """A state joins, leaves or suspends its participation in an organization."""

    kind: Literal["join", "leave", "suspend"]
    organization: Text
    state: Text


class TreatyEvent(_EventBase):
    """A party suspends or withdraws from a treaty (e.g. Russia and the CFE Treaty, 2023-11-07)."""

    kind: Literal["treaty_suspend", "treaty_withdraw"]
    treaty: Text
    state: Text


class SiteEvent(_EventBase):
    """A base, project or link opens or closes (overrides its own dates)."""

    kind: Literal[
        "base_open", "base_close", "project_launch", "project_close", "link_open", "link_close"
    ]
    base: str = ""
    project: str = ""
    link: str = ""

    @property
    def section(self) -> str:
        """Which list the event's site is in: ``base``, ``project`` or ``link``."""
        return self.kind.split("_")[0]

    @property
    def site(self) -> str:
        """The id of the site the event opens or closes."""
        return str(getattr(self, self.section))

    @model_validator(mode="after")
    def _one_site(self) -> SiteEvent:
        wants = self.section
        if not getattr(self, wants):
            raise ValueError(f"a {self.kind} event needs the key {wants!r}")
        for other in ("base", "project", "link"):
            if other != wants and getattr(self, other):
                raise ValueError(f"a {self.kind} event takes {wants!r}, not {other!r}")
        return self


class CapacityShockEvent(_EventBase):
    """A power's capacity in one domain is multiplied by ``factor``, then recovers."""

    kind: Literal["capacity_shock"]
    power: Text
    domain: Domain
    # a shock multiplies a capacity by at most 100 (or divides it by up to 1e6)
    factor: Annotated[float, Field(ge=1e-6, le=100.0, strict=True)]
    recovery_per_year: Annotated[float, Field(ge=0.0, le=100.0, strict=True)] = 0.0


class ParameterChangeEvent(_EventBase):
    """A model parameter (one of the dynamic keys) takes a new value from this date."""

    kind: Literal["parameter_change"]
    key: Text
    value: Annotated[float, Field(strict=True)]  # its range is the range of ``key``


class AlignmentShockEvent(_EventBase):
    """An exogenous political shock: a state's utility for one power shifts by ``delta``.

    The shift fades with ``half_life_months`` (Andijan 2005 and Uzbekistan's turn from the
    US, the Karabakh wars and Armenia's disappointment with Russia).
    """

    kind: Literal["alignment_shock"]
    state: Text
    power: Text
    delta: Annotated[float, Field(ge=-10.0, le=10.0, strict=True)]
    half_life_months: Annotated[float, Field(gt=0.0, le=1200.0, strict=True)] = 24.0


_EVENT_MODELS = (
    MembershipEvent,
    TreatyEvent,
    SiteEvent,
    CapacityShockEvent,
    ParameterChangeEvent,
    AlignmentShockEvent,
)
Event = Annotated[
    MembershipEvent
    | TreatyEvent
    | SiteEvent
    | CapacityShockEvent
    | ParameterChangeEvent
    | AlignmentShockEvent,
    Field(discriminator="kind"),
]
EVENT_KINDS: tuple[str, ...] = tuple(
    kind for model in _EVENT_MODELS for kind in get_args(model.model_fields["kind"].annotation)
)


class RunSpec(_Strict):
    """What to run: the simulated period (monthly steps) and the seed."""

    start: Date = dt.date(2023, 1, 1)
    end: Date = dt.date(2033, 1, 1)
    seed: Annotated[int, Field(ge=0, lt=2**63, strict=True)] = 0

    @model_validator(mode="after")
    def _ordered(self) -> RunSpec:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.start.day != 1:
            raise ValueError("start must be the first day of a month (steps are months)")
        return self


class ConductanceSpec(_Strict):
    """Conductance by terrain kind, with optional overrides for named features."""

    open_land: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] = 1.0
    mountains: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] = 0.3
    water: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] = 0.5
    features: dict[str, Annotated[float, Field(gt=0.0, le=1.0, strict=True)]] = Field(
        default_factory=dict
    )


class GeographySpec(_Strict):
    """The raster: region bounds, resolution (degrees) and conductance."""

    lon_min: Lon = 40.0
    lon_max: Lon = 100.0
    lat_min: Lat = 28.0
    lat_max: Lat = 58.0
    # 0.01 degree is a 6000 x 3000 grid over the default region, already past the cost cap
    resolution: Annotated[float, Field(ge=0.01, le=5.0, strict=True)] = 0.25
    conductance: ConductanceSpec = Field(default_factory=ConductanceSpec)


class ChannelDiffusion(_Strict):
    """Diffusivity (degrees^2 per month) and decay (per month) of one domain's channels."""

    # up to 100 degrees^2/month (a reach of 10 degrees per month) and 10 per month (an
    # e-folding time of 3 days): beyond those, the fields are uniform or gone within a month
    diffusivity: Annotated[float, Field(ge=0.0, le=100.0, strict=True)]
    decay: Annotated[float, Field(ge=0.0, le=10.0, strict=True)]


class DiffusionSpec(_Strict):
    """Diffusion of the influence fields (docs/model.md §7.9).

    ``substeps`` steps of ``scheme`` advance the fields by one month, so
    ``dt = 1 / substeps`` months. ``"auto"``: for the explicit scheme, the fewest substeps
    that keep every channel stable, with ``safety`` as margin; for the implicit scheme
    (stable and non-negative at any ``dt``), the fewest with ``dt * max(decay) <=
    accuracy``, which does not depend on the resolution (``substeps_for``).
    """

    scheme: Literal["explicit", "implicit"] = "implicit"
    substeps: Annotated[int, Field(ge=1, le=10_000, strict=True)] | Literal["auto"] = "auto"
    safety: Annotated[float, Field(ge=0.05, le=1.0, strict=True)] = 0.9
    accuracy: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] = 0.05
    security: ChannelDiffusion = Field(
        default_factory=lambda: ChannelDiffusion(diffusivity=0.5, decay=0.2)
    )
    economy: ChannelDiffusion = Field(
        default_factory=lambda: ChannelDiffusion(diffusivity=0.5, decay=0.1)
    )


class AlignmentSpec(_Strict):
    """Parameters of the states' alignment dynamics (docs/model.md §7.4; mechanisms 2, 4, 5)."""

    rate: Fraction = 0.08
    temperature: Annotated[float, Field(ge=0.01, le=100.0, strict=True)] = 0.7
    saturation: Annotated[float, Field(ge=1e-3, le=1e3, strict=True)] = 1.0
    hedging: Fraction = 1.0
    threat_weight: Weight = 0.3
    adversary_weight: Weight = 1.0
    institution_weight: Weight = 0.2
    suspended_penalty: Weight = 1.0
    security_need: Fraction = 0.8
    economy_need: Fraction = 0.5
    initial_tie_weight: Weight = 1.0
    noise: Annotated[float, Field(ge=0.0, le=5.0, strict=True)] = 0.15
    noise_persistence: Annotated[float, Field(ge=0.0, lt=1.0, strict=True)] = 0.9


class CapabilitySpec(_Strict):
    """How capability shares are formed from GDP and military expenditure (mechanism 1)."""

    military_weight: Fraction = 0.5
    growth_scale: Annotated[float, Field(ge=0.0, le=10.0, strict=True)] = 1.0


class SecurityDilemmaSpec(_Strict):
    """The security dilemma and 'indivisible security' (mechanism 2)."""

    response: Weight = 1.0
    enlargement_response: Weight = 0.3
    enlargement_decay_months: Annotated[float, Field(ge=1.0, le=1200.0, strict=True)] = 24.0


class PartnershipDynamicsSpec(_Strict):
    """How partnerships move with the partners' contest over the focus states (mechanism 5).

    Each month a listed pair's partnership closes ``rate`` of its gap to
    ``clip(1 - contest / tolerance, 0, 1)``; ``rate = 0`` holds it at its starting value.
    """

    rate: Fraction = 0.02
    tolerance: Annotated[float, Field(gt=0.0, le=10.0, strict=True)] = 1.0
    pairs: tuple[str, ...] = ("RUS-CHN",)


class CohesionSpec(_Strict):
    """How much an organization's cohesion scales its weight among its leaders' instruments."""

    effect: Fraction = 1.0


class StatecraftSpec(_Strict):
    """Economic statecraft (mechanism 3): a project's return grows with hosts' alignment."""

    return_on_alignment: Weight = 1.0


class MetricsSpec(_Strict):
    """Which powers form the two blocs and which pair the rivalry index watches (mechanism 5)."""

    blocs: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: {"west": ("USA",), "east": ("RUS", "CHN")}
    )
    rivalry_pair: tuple[str, str] = ("RUS", "CHN")
    focus_role: Role = "central_asia"


class Scenario(_Strict):
    """A whole scenario: the typed, frozen, validated form of a scenario TOML file."""

    name: Text
    description: str = ""
    extends: str | tuple[str, ...] | None = None
    run: RunSpec = Field(default_factory=RunSpec)
    geography: GeographySpec = Field(default_factory=GeographySpec)
    diffusion: DiffusionSpec = Field(default_factory=DiffusionSpec)
    powers: dict[str, PowerSpec] = Field(min_length=1)
    partnership: dict[str, Fraction] = Field(default_factory=dict)
    alignment: AlignmentSpec = Field(default_factory=AlignmentSpec)
    capability: CapabilitySpec = Field(default_factory=CapabilitySpec)
    security_dilemma: SecurityDilemmaSpec = Field(default_factory=SecurityDilemmaSpec)
    statecraft: StatecraftSpec = Field(default_factory=StatecraftSpec)
    partnership_dynamics: PartnershipDynamicsSpec = Field(default_factory=PartnershipDynamicsSpec)
    cohesion: CohesionSpec = Field(default_factory=CohesionSpec)
    base_rules: BaseRules = Field(default_factory=BaseRules)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    states: dict[str, StateSpec] = Field(min_length=1)
    organizations: dict[str, OrganizationSpec] = Field(default_factory=dict)
    treaties: dict[str, TreatySpec] = Field(default_factory=dict)
    bases: tuple[BaseSpec, ...] = ()
    projects: tuple[ProjectSpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()
    conflicts: tuple[ConflictSpec, ...] = ()
    events: tuple[Event, ...] = ()
