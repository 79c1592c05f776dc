"""What a request may carry, read one way everywhere: one parser per kind of value (ids,
natural numbers, times, keys) and pydantic models for JSON bodies, query strings and kinds'
params. JSON is strict about types; form and query strings are read laxly by the same models.

A view declares its models with `@accepts(query=…, body=…)`; they arrive as keyword
arguments, and the declaration stays on the view for tools that list what routes take."""

import re
from collections.abc import Callable, Container
from datetime import UTC, datetime
from functools import wraps
from typing import Annotated, Any, TypeVar

from flask import request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    WrapValidator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from werkzeug.routing import BaseConverter
from werkzeug.routing import ValidationError as NoMatch

from app.errors import Refused, fail

ID_MAX = 2**31 - 1  # PostgreSQL's integer, and so every id on both databases
KEY_MAX = 100
TEXT_MAX = 20_000  # any string without a tighter cap of its own
_NATURAL = re.compile(r"[0-9]{1,10}")
_KEY = re.compile(rf"[\x21-\x7e]{{1,{KEY_MAX}}}")
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


# ---- one parser per kind of value -----------------------------------------------------------


def natural(raw: str | None, maximum: int = ID_MAX) -> int | None:
    """A whole number 0 … maximum written in ASCII digits, else None (no ², ٣, 10**5000)."""
    if raw is None or not _NATURAL.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= maximum else None


def id_from(raw: str | None) -> int | None:
    """An id (1 … 2**31−1) from text, else None."""
    value = natural(raw)
    return value if value else None


def moment_from(raw: str | None) -> datetime | None:
    """An ISO 8601 time as naive UTC (the database's form), else None."""
    if not raw or len(raw) > 40 or _FORBIDDEN.search(raw):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    return moment


def key_from(raw: str | None) -> str | None:
    """An idempotency key: 1 … 100 printable ASCII characters, else None."""
    raw = (raw or "").strip()
    return raw if _KEY.fullmatch(raw) else None


def clean_text(value: str) -> bool:
    """Whether text can be stored as it is (no NUL, no lone surrogate)."""
    return not _FORBIDDEN.search(value)


def storable(text: str) -> str:
    """Text from elsewhere (a model) made storable: NUL and lone surrogates become U+FFFD."""
    return _FORBIDDEN.sub("\ufffd", text)


class IdConverter(BaseConverter):
    """`<id:name>` in a route: an id, or no match (a 404) for anything else."""

    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        parsed = id_from(value)
        if parsed is None:
            raise NoMatch
        return parsed

    def to_url(self, value: Any) -> str:
        return str(int(value))


# ---- pydantic building blocks ---------------------------------------------------------------


def refuse(message: str) -> PydanticCustomError:
    """A domain rule's refusal, raised from a validator, with the message shown to the writer."""
    return PydanticCustomError("refused", message.replace("{", "{{").replace("}", "}}"))


def _unstorable() -> str:
    return _("Text may not contain NUL characters or lone surrogates.")


def _storable(value: str) -> str:
    if not clean_text(value):
        raise refuse(_unstorable())
    return value


def Text(max_length: int, min_length: int = 0) -> Any:  # noqa: N802 - used like a type
    """Text stripped of outer spaces, capped, storable on both databases."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_storable),
    ]


def one_of(options: Container[str]) -> Any:
    """Text that must be one of the options (looked up when validating)."""

    def check(value: str) -> str:
        if value not in options:
            raise refuse(_("Choose one of the listed values."))
        return value

    return Annotated[str, StringConstraints(max_length=100), AfterValidator(check)]


def _from_text(parser: Callable[[str], Any], message: Callable[[], str], always: bool) -> Any:
    """Read text with one of the parsers above: form and query strings always; JSON strings
    only when `always` (JSON's own numbers stay strict: "5" is not a number there)."""

    def parse(value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or not (always or info.mode == "python"):
            return value
        parsed = parser(value.strip())
        if parsed is None:
            raise refuse(message())
        return parsed

    return BeforeValidator(parse)


Id = Annotated[int, _from_text(id_from, lambda: _("Give an id."), False), Field(ge=1, le=ID_MAX)]
Whole = Annotated[int, _from_text(natural, lambda: _("Give a whole number."), False)]
Moment = Annotated[
    datetime,
    _from_text(moment_from, lambda: _("Give an ISO 8601 time, e.g. 2026-11-22T10:00:00Z."), True),
]


def _or_none(value: Any, handler: Callable[[Any], Any]) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


def Filter(kind: Any) -> Any:  # noqa: N802 - used like a type
    """A filter in a query string: a value that cannot be read is ignored, not an error."""
    return Annotated[kind | None, WrapValidator(_or_none)]


class Inputs(BaseModel):
    """Field names are snake_case in Python and camelCase on the wire (`genrePaths`)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        str_max_length=TEXT_MAX,
        frozen=True,
    )


# ---- reading a request ----------------------------------------------------------------------

M = TypeVar("M", bound=Inputs)

# What the generic errors of pydantic say, as a writer would read them (the field is named
# beside the message: next to the input on a form, as "field" in the API).
MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda c: _("This is required."),
    "int_type": lambda c: _("Give a whole number."),
    "int_parsing": lambda c: _("Give a whole number."),
    "int_parsing_size": lambda c: _("Give a whole number."),
    "int_from_float": lambda c: _("Give a whole number."),
    "string_type": lambda c: _("Give text."),
    "string_too_short": lambda c: _("This may not be empty."),
    "string_too_long": lambda c: _("Limited to %(n)d characters.", n=c["max_length"]),
    "list_type": lambda c: _("Give a list."),
    "too_short": lambda c: _("Give at least %(n)d.", n=c["min_length"]),
    "too_long": lambda c: _("Give at most %(n)d.", n=c["max_length"]),
    "dict_type": lambda c: _("Give an object."),
    "model_type": lambda c: _("Give an object."),
    "greater_than_equal": lambda c: _("Give at least %(n)s.", n=c["ge"]),
    "less_than_equal": lambda c: _("Give at most %(n)s.", n=c["le"]),
    "bool_type": lambda c: _("Give true or false."),
    "bool_parsing": lambda c: _("Give true or false."),
}


def problems(error: ValidationError) -> list[tuple[str | None, str]]:
    """(field, message) for each error; the field is the camelCase leaf name, None for the
    whole document."""
    found = []
    for item in error.errors(include_url=False, include_input=False):
        names = [part for part in item["loc"] if isinstance(part, str)]
        field = names[-1] if names else None
        describe = MESSAGES.get(item["type"])
        message = item["msg"] if item["type"] == "refused" else None
        if message is None:
            message = describe(item.get("ctx") or {}) if describe else _("This is not valid.")
        found.append((field, message))
    return found


def errors_by_field(error: ValidationError) -> dict[str, str]:
    """The first message for each field, for a form to show beside its inputs."""
    errors: dict[str, str] = {}
    for field, message in problems(error):
        errors.setdefault(field or "form", message)
    return errors


def refusal(error: ValidationError) -> Refused:
    """A 422 naming the first field at fault; a 400 when the document itself is unreadable."""
    field, message = problems(error)[0]
    if field is None:
        kind = error.errors()[0]["type"]
        if kind == "json_invalid":
            return Refused(400, _("The body is not valid JSON (or nests too deeply)."))
        return Refused(400, _("Send a JSON object."))
    return Refused(422, message, field=field)


def read_body(model: type[M]) -> M:
    """The JSON body as the model: 415 if not JSON, 413 if too large, 400 if unreadable, 422
    naming the field."""
    if not request.is_json:
        fail(415, _("Send JSON with Content-Type: application/json."))
    try:
        return model.model_validate_json(request.get_data(cache=True), strict=True)
    except ValidationError as error:
        raise refusal(error) from None


def read_query(model: type[M]) -> M:
    """The query string as the model (first value of each name); 422 naming the field."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise refusal(error) from None


def read_form(model: type[M], values: dict[str, Any]) -> M:
    """Form values (strings) as the model, laxly; ValidationError for the form to show."""
    return model.model_validate(values)


def accepts(
    *, query: type[Inputs] | None = None, body: type[Inputs] | None = None, lazy: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Read the query and JSON body into their models and pass them as `query=`, `body=`.
    `lazy`: pass `body` as a function that reads it, for a view that must first check the
    caller may reach the object in its path (a stranger learns nothing from body errors)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def read(*args: Any, **kwargs: Any) -> Any:
            if query is not None:
                kwargs["query"] = read_query(query)
            if body is not None:
                kwargs["body"] = (lambda: read_body(body)) if lazy else read_body(body)
            return view(*args, **kwargs)

        read.accepts = {"query": query, "body": body}  # type: ignore[attr-defined]
        return read

    return decorate


class Form(FlaskForm):
    """The WTForms forms (sign-in, sign-up, projects): text that cannot be stored is refused
    like any invalid field."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            """Form fields only: Flask-WTF would read a JSON body as the fields, and fail (a
            500) on JSON that is not an object, nests deeply or holds numbers and lists."""
            if request.is_json and not request.form and not request.files:
                return None
            return super().wrap_formdata(form, formdata)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and not clean_text(field.data):
                field.errors = [*field.errors, _unstorable()]
                valid = False
        return valid
