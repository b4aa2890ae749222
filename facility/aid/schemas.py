"""The JSON shapes of the state-aid ledger and statement (API.md), for the OpenAPI document and to
dump the answers. They describe the dicts of ``services.py`` field for field: every field is
always present (``required``), ``nullable`` where it may be null. Amounts are SEK or EUR to the öre
or cent; times are RFC 3339 in the service's zone."""

from __future__ import annotations

from marshmallow import Schema, fields

from facility.core.vocabulary import ORGANISATION_KINDS, SIZE_CLASSES


def _money(description: str) -> fields.Float:
    return fields.Float(required=True, metadata={"description": description})


def _instant(description: str, **kwargs) -> fields.String:
    return fields.String(required=True, metadata={"description": description}, **kwargs)


class AmountsSchema(Schema):
    """Used hours and their value at the rates of each use, inside a period."""

    hours = fields.Float(required=True)
    full_cost_sek = _money("hours x full-cost rate")
    charged_sek = _money("hours x charged rate")
    subsidised_sek = _money("hours x (full-cost rate - charged rate): the aid")
    subsidised_eur = _money("the aid in EUR, at eur_sek")


class ThreeYearsSchema(Schema):
    """The rolling three years that end with the period, against the de minimis ceiling."""

    from_ = _instant("start of the three years (inclusive)", data_key="from", attribute="from")
    to = _instant("end of the three years (exclusive): the end of the period")
    subsidised_sek = _money("aid in the three years")
    subsidised_eur = _money("aid in the three years, in EUR")
    ceiling_eur = _money("the de minimis ceiling")
    remaining_eur = _money("ceiling - aid, not below 0")
    share = fields.Float(required=True, metadata={"description": "aid / ceiling"})
    percent = fields.Float(required=True, metadata={"description": "aid / ceiling, in per cent"})
    status = fields.String(
        required=True,
        metadata={
            "enum": ["ok", "warning", "exceeded"],
            "description": "warning from warn_at of the ceiling, exceeded above the ceiling",
        },
    )


class _Header(Schema):
    from_ = _instant("start of the period (inclusive)", data_key="from", attribute="from")
    to = _instant("end of the period (exclusive)")
    regulation = fields.String(required=True)
    ceiling_eur = _money("the de minimis ceiling over three years")
    warn_at = fields.Float(required=True, metadata={"description": "share of the ceiling at which managers are warned"})
    eur_sek = fields.Float(required=True, metadata={"description": "SEK per EUR used for the conversion"})
    kinds = fields.List(
        fields.String(metadata={"enum": list(ORGANISATION_KINDS)}),
        required=True,
        metadata={"description": "the organisation kinds whose aid is counted"},
    )


class _Undertaking(Schema):
    organisation = fields.String(required=True, metadata={"description": "the organisation's key"})
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(ORGANISATION_KINDS)})
    size_class = fields.String(required=True, allow_none=True, metadata={"enum": [*SIZE_CLASSES, None]})


class LedgerEntrySchema(_Undertaking):
    period = fields.Nested(AmountsSchema, required=True)
    three_years = fields.Nested(ThreeYearsSchema, required=True)


class LedgerSchema(_Header):
    organisations = fields.List(
        fields.Nested(LedgerEntrySchema),
        required=True,
        metadata={"description": "companies with recorded use in the period (or the one asked for), most aid first"},
    )


class StatementLineSchema(AmountsSchema):
    facility = fields.String(required=True, metadata={"description": "the facility's key"})
    resource = fields.String(required=True, metadata={"description": "the resource's key"})
    resource_name = fields.String(required=True)
    full_cost_sek_per_hour = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: the resource had no rates for this kind"}
    )
    charged_sek_per_hour = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: the full cost is charged"}
    )


class StatementSchema(_Header, _Undertaking):
    lines = fields.List(
        fields.Nested(StatementLineSchema), required=True, metadata={"description": "per resource and rate"}
    )
    total = fields.Nested(AmountsSchema, required=True)
    three_years = fields.Nested(ThreeYearsSchema, required=True)
