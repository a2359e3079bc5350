"""The shape of the knowledge-base files, checked when they are loaded.

Unknown keys are refused so that a typo in a YAML file is reported instead of silently ignored.
"""
from decimal import Decimal
from typing import Annotated, Dict, List, Literal, Optional, Tuple

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, conint, field_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ClockTime = Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$")]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z]{3}-\d{3}$")]
Money = Decimal

GROUPS = ("footwear", "outerwear", "tops", "bottoms", "intimates", "accessories")


class _Strict(BaseModel):
    # Numbers where text is expected (sizes: [28, 30], shoe: 9) are read as text, as YAML writers expect.
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


def to_cents(amount: Decimal) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal("1")))


class Schedule(_Strict):
    timezone: Text
    days: List[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(..., min_length=1)
    opens: ClockTime
    closes: ClockTime  # "24:00": until midnight

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("closes")
    @classmethod
    def _after_opening(cls, value, info: ValidationInfo):
        if "opens" in info.data and value <= info.data["opens"]:
            raise ValueError("closes must be after opens")
        return value

    def hours(self):
        from bot.handoff.hours import SupportHours

        return SupportHours.parse(timezone=self.timezone, days=self.days, opens=self.opens, closes=self.closes)


class Support(_Strict):
    email: Text
    phone: Text
    hours: Text
    schedule: Schedule


class Payment(_Strict):
    methods: List[Text] = Field(..., min_length=1)
    charged_when: Text
    currencies: Text
    security: Text
    promo_codes: Text


class Compensation(_Strict):
    """What agents may offer when an order went wrong, mildest first (the canned replies name them)."""

    free_upgrade: Literal["express", "next_day"]  # shipping method, free on the next order
    store_credit: Money = Field(..., gt=0, le=500)
    store_credit_months: conint(ge=1, le=60)  # type: ignore[valid-type]
    refund_percent: conint(ge=1, le=100)  # type: ignore[valid-type]

    @property
    def store_credit_cents(self) -> int:
        return to_cents(self.store_credit)


class Store(_Strict):
    name: Text
    currency: Literal["USD"]
    support: Support
    payment: Payment
    compensation: Compensation


class Category(_Strict):
    id: Text
    name: Text
    group: Literal[GROUPS]  # type: ignore[valid-type]
    size_chart: Optional[Text] = None
    hygiene: bool = False
    synonyms: List[Text] = Field(..., min_length=1)


class Categories(_Strict):
    categories: List[Category] = Field(..., min_length=1)


class Product(_Strict):
    sku: Sku
    name: Text
    category: Text
    price: Money = Field(..., gt=0)
    sizes: List[Text] = Field(..., min_length=1)
    fit: Literal["runs_small", "true_to_size", "runs_large"]
    fit_note: Text
    materials: List[Text] = Field(..., min_length=1)
    final_sale: bool = False

    @property
    def price_cents(self) -> int:
        return to_cents(self.price)


class Catalog(_Strict):
    products: List[Product] = Field(..., min_length=1)


class Conditions(_Strict):
    general: Text
    by_group: Dict[Literal[GROUPS], Text]  # type: ignore[valid-type]

    @field_validator("by_group")
    @classmethod
    def _every_group(cls, value):
        missing = sorted(set(GROUPS) - set(value))
        if missing:
            raise ValueError(f"missing condition text for group(s): {', '.join(missing)}")
        return value


class ReturnShipping(_Strict):
    domestic: Text
    international: Text
    faulty: Text


class RefundMethod(_Strict):
    id: Text
    name: Text
    synonyms: List[Text] = Field(..., min_length=1)
    time: Text


class Refunds(_Strict):
    timing: Text
    methods: List[RefundMethod] = Field(..., min_length=1)


class ReturnRegion(_Strict):
    id: Text
    name: Text
    synonyms: List[Text] = Field(..., min_length=1)
    rule: Text


class Returns(_Strict):
    standard_window_days: conint(gt=0, le=365)  # type: ignore[valid-type]
    window_overrides: Dict[str, conint(gt=0, le=365)] = {}  # type: ignore[valid-type]
    conditions: Conditions
    final_sale: Text
    exchanges: Text
    return_shipping: ReturnShipping
    refunds: Refunds
    damaged: Text
    wrong_item: Text
    gifts: Text
    regions: List[ReturnRegion] = []
    how_to_start: Text


class ShippingMethod(_Strict):
    id: Literal["standard", "express", "next_day"]
    name: Text
    price: Money = Field(..., ge=0)
    days: Tuple[conint(ge=0), conint(ge=0)]  # type: ignore[valid-type]
    carrier: Text

    @field_validator("days")
    @classmethod
    def _ordered(cls, value):
        if value[0] > value[1]:
            raise ValueError("days must be [fastest, slowest]")
        return value

    @property
    def price_cents(self) -> int:
        return to_cents(self.price)


class ShippingRegion(_Strict):
    id: Text
    name: Text
    synonyms: List[Text] = Field(..., min_length=1)
    free_over: Optional[Money] = None
    duties: Text
    methods: List[ShippingMethod] = Field(..., min_length=1)

    @property
    def free_over_cents(self) -> Optional[int]:
        return None if self.free_over is None else to_cents(self.free_over)


class Processing(_Strict):
    cutoff: Text
    business_days: conint(ge=0)  # type: ignore[valid-type]
    text: Text


class Shipping(_Strict):
    processing: Processing
    regions: List[ShippingRegion] = Field(..., min_length=1)
    method_synonyms: Dict[Literal["standard", "express", "next_day"], List[Text]]
    tracking: Text
    address_change: Text
    late_parcel: Text
    lost_parcel: Text
    po_boxes: Text


Range = Tuple[float, float]


class SizeRow(_Strict):
    size: Text
    chest: Optional[Range] = None
    waist: Optional[Range] = None
    hips: Optional[Range] = None
    height: Optional[Range] = None
    weight: Optional[Range] = None
    waist_in: Optional[Text] = None
    shoe: Optional[Text] = None

    @field_validator("chest", "waist", "hips", "height", "weight")
    @classmethod
    def _ordered(cls, value):
        if value is not None and value[0] >= value[1]:
            raise ValueError("range must be [low, high] with low < high")
        return value


class SizeChart(_Strict):
    name: Text
    measure: List[Literal["chest", "waist", "hips", "foot"]]
    sizes: List[SizeRow] = Field(..., min_length=1)


class ShoeSize(_Strict):
    us_men: float
    us_women: float
    uk: float
    eu: float
    cn: float
    cm: float


class Sizing(_Strict):
    how_to_measure: Dict[str, Text]
    charts: Dict[str, SizeChart]
    shoes: List[ShoeSize] = Field(..., min_length=2)


class FaqEntry(_Strict):
    topic: Optional[Text] = None
    # Checked also when left out, and next to the other fields' problems, so that all are reported at once.
    answer: Optional[Text] = Field(None, validate_default=True)
    questions: List[Text] = Field(..., min_length=1)

    @field_validator("answer")
    @classmethod
    def _topic_or_answer(cls, value, info: ValidationInfo):
        if not value and not info.data.get("topic"):
            raise ValueError("an entry needs a topic or an answer")
        return value


class Faq(_Strict):
    entries: List[FaqEntry] = Field(..., min_length=1)
