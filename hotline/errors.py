"""The one error type for domain rule violations, and the vocabulary of error codes."""

from enum import StrEnum
from typing import Self


class ErrorCode(StrEnum):
    """Every `code` an error can carry: the domain's refusals and the API's own errors.

    A StrEnum, so a member compares equal to its string and is written as it in JSON. The OpenAPI
    schema lists the members (and their descriptions) as the error format's `code` enum, so clients
    can branch on them; a code not listed here cannot be raised (DomainError converts its code).
    """

    description: str

    def __new__(cls, value: str, description: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    # Input and access, in every part of the product.
    INVALID = "invalid", "the input is not valid; `fields` says where"
    NOT_FOUND = "not_found", "not there, or not visible to the user's role (never 403 for this)"
    # Tickets (intake).
    INVALID_TRANSITION = "invalid_transition", "the ticket's or assignment's status does not allow this step"
    INVALID_MERGE = "invalid_merge", "a ticket merges only into another open ticket that has been taken in"
    # External platforms' inbound channels.
    CHANNEL_INACTIVE = "channel_inactive", "the external platform's channel is switched off: it takes in nothing"
    CHANNEL_CLIENT_EXISTS = "channel_client_exists", "the channel already has its platform's client"
    # A unit's steps on its assignment (dispatch).
    ASSIGNMENT_ENDED = "assignment_ended", "the assignment is no longer open"
    ASSIGNMENT_NOT_OPEN = "assignment_not_open", "the unit no longer handles the ticket"
    INVALID_STATE = "invalid_state", "the assignment's state does not allow this step now"
    LEAD_ONLY = "lead_only", "only the lead unit takes this step"
    NOT_LEAD = "not_lead", "only the lead unit reads the full description"
    NOT_IN_PROGRESS = "not_in_progress", "the caller's number is shown only while the lead unit handles the ticket"
    STREETS_ONLY = "streets_only", "only a street or township blows the whistle (吹哨)"
    ALREADY_CONTACTED = "already_contacted", "the first contact with the caller is already recorded"
    NO_CONTACT_DUE = "no_contact_due", "the unit does not contact this caller (confidential or no caller)"
    CONFIDENTIAL = "confidential", "the caller asked for confidentiality: the hotline contacts them"
    NO_CALLER = "no_caller", "the ticket has no caller"
    DEADLINE_PASSED = "deadline_passed", "an extension is asked before the deadline"
    EXTENSION_PENDING = "extension_pending", "an extension request already awaits review"
    EXTENSION_LIMIT = "extension_limit", "no more extensions can be granted on this assignment"
    # The district's sub-centre passing a ticket down a level (区分中心).
    DISTRICTS_ONLY = "districts_only", "only a district's sub-centre passes a ticket down"
    ALREADY_PASSED_DOWN = "already_passed_down", "the district's ticket is already with a unit of the district"
    SUB_REPLY_PENDING = "sub_reply_pending", "the unit the district passed the ticket to has not replied yet"
    AFTER_PARENT_DEADLINE = "after_parent_deadline", "a deadline below a district never ends after the district's"
    NOTHING_TO_CONFIRM = "nothing_to_confirm", "the district has no reply of a unit of its own to confirm"
    # Dispatching and reviews.
    ALREADY_ASSIGNED = "already_assigned", "a chosen unit already works on the ticket"
    ALREADY_DECIDED = "already_decided", "the return or extension request is already decided"
    FUNCTIONAL_TO_STREET = "functional_to_street", "a functional department hands a ticket on to a street only"
    RULE_EXPIRED = "rule_expired", "the dispatch rule has expired: create a new one"
    INVALID_CATALOGUE = "invalid_catalogue", "a row of the uploaded dispatch catalogue is not valid"
    # Evaluation.
    ALREADY_PUBLISHED = "already_published", "the ranking is already published"
    EMPTY_RANKING = "empty_ranking", "nothing was counted in the month: there is nothing to publish"
    CALLBACK_DONE = "callback_done", "the callback is already completed"
    APPEAL_OPEN = "appeal_open", "an appeal of this kind is already open or approved"
    APPEAL_DECIDED = "appeal_decided", "the appeal is already decided"
    # Monthly topics (每月一题).
    TOPIC_STATUS = "topic_status", "the topic's status does not move to the one asked for"
    # Outbound webhooks.
    DELIVERY_IN_PROGRESS = "delivery_in_progress", "the webhook delivery is still pending or being sent"
    # Reference data and set-up.
    UNKNOWN_STREET = "unknown_street", "a community names a street that is not in the organisation tree"
    UNKNOWN_DISTRICT = "unknown_district", "the zone file names a district that is not in the organisation tree"
    NO_HOTLINE_CENTER = "no_hotline_center", "the organisation tree has no hotline centre unit yet"
    TOO_FEW_CATEGORIES = "too_few_categories", "the classifier needs at least two categories to train"
    # The API's own errors, before or around the domain (hotline.api.errors, hotline.middleware).
    BAD_REQUEST = "bad_request", "the request could not be read"
    INVALID_PATH = "invalid_path", "the address contains characters that are not allowed"
    INVALID_QUERY = "invalid_query", "the query string contains NUL or characters that are not UTF-8"
    INVALID_BODY = "invalid_body", "the request body could not be read"
    PARSE_ERROR = "parse_error", "the request body is malformed"
    TOO_LARGE = "too_large", "the request body is too large or too deeply nested"
    NOT_AUTHENTICATED = "not_authenticated", "not signed in"
    AUTHENTICATION_FAILED = "authentication_failed", "the credentials or the token are not valid"
    PERMISSION_DENIED = "permission_denied", "the user's role may not do this"
    METHOD_NOT_ALLOWED = "method_not_allowed", "the path does not serve this method"
    NOT_ACCEPTABLE = "not_acceptable", "no representation matches the Accept header"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", "the request body's media type is not supported"
    THROTTLED = "throttled", "too many requests: try again after Retry-After seconds"
    SERVER_ERROR = "server_error", "an unexpected error on the server"


class DomainError(Exception):
    """A request that breaks a business rule (invalid transition, wrong state, …).

    `code` is a stable machine-readable identifier (an ErrorCode: passing its string works as
    well, and an unlisted string raises ValueError); `message` is a translated sentence for
    people. The API answers it with HTTP 409 (or `status`), HTML views show the message.
    """

    def __init__(
        self, code: ErrorCode | str, message: str, *, status: int = 409, fields: dict[str, list[str]] | None = None
    ):
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.status = status
        self.fields = fields or {}
