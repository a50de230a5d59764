"""Labels of the domain's enumerations (positions, statuses, kinds...), marked for the
message catalogues and translated on demand, so every output names them alike."""

from __future__ import annotations

from shared.i18n.catalog import translator


def N_(message: str) -> str:
    """Marks a message for extraction without translating it (translated at use)."""
    return message


LABELS: dict[str, dict[str, str]] = {
    "position": {
        "supported": N_("Supported"),
        "partially_supported": N_("Partially supported"),
        "noted": N_("Noted"),
        "pending": N_("Pending"),
        "no_position": N_("No position"),
    },
    "status": {
        "implemented": N_("Implemented"),
        "partially_implemented": N_("Partially implemented"),
        "in_progress": N_("In progress"),
        "not_started": N_("Not started"),
        "no_information": N_("No information"),
    },
    "source": {
        "government": N_("Government"),
        "nhri": N_("National human rights institution"),
        "civil_society": N_("Civil society"),
        "un": N_("United Nations"),
    },
    "kind": {
        "recommendation": N_("Recommendation"),
        "observation": N_("Observation"),
    },
    "mechanism_kind": {
        "upr": N_("Universal Periodic Review"),
        "treaty_body": N_("Treaty body"),
        "special_procedure": N_("Special procedure"),
    },
    "deadline_kind": {
        "hrc_response": N_("Responses to pending recommendations"),
        "upr_midterm_report": N_("UPR mid-term report"),
        "upr_next_review": N_("Next UPR review"),
        "treaty_followup": N_("Treaty body follow-up"),
        "mandate_end": N_("End of mandate"),
        "mandate_renewal": N_("Mandate renewal"),
        "programme_milestone": N_("Programme milestone"),
        "programme_evaluation": N_("Programme evaluation"),
        "other": N_("Other"),
    },
    "deadline_status": {
        "open": N_("Open"),
        "met": N_("Met"),
        "missed": N_("Missed"),
    },
    "mandate_type": {
        "country_office": N_("Country office"),
        "regional_office": N_("Regional office"),
        "human_rights_adviser": N_("Human rights adviser"),
        "peace_mission_component": N_("Peace mission component"),
        "other": N_("Other"),
    },
    "mandate_status": {
        "planned": N_("Planned"),
        "active": N_("Active"),
        "expiring": N_("Expiring"),
        "expired": N_("Expired"),
    },
    "programme_status": {
        "planned": N_("Planned"),
        "active": N_("Active"),
        "completed": N_("Completed"),
    },
    "action_status": {
        "planned": N_("Planned"),
        "ongoing": N_("Ongoing"),
        "completed": N_("Completed"),
        "delayed": N_("Delayed"),
        "cancelled": N_("Cancelled"),
    },
    "plan_status": {
        "draft": N_("Draft"),
        "adopted": N_("Adopted"),
        "ended": N_("Ended"),
    },
    "institution_kind": {
        "ministry": N_("Ministry"),
        "agency": N_("Agency"),
        "parliament": N_("Parliament"),
        "judiciary": N_("Judiciary"),
        "nhri": N_("National human rights institution"),
        "civil_society": N_("Civil society"),
        "other": N_("Other"),
    },
    "target_group": {
        "police_academies": N_("Police academies"),
        "military_academies": N_("Military academies"),
        "justice_sector": N_("Justice sector"),
        "prison_administration": N_("Prison administration"),
        "national_mechanisms": N_("National mechanisms"),
        "nhris": N_("National human rights institutions"),
        "parliament": N_("Parliament"),
        "government": N_("Government"),
        "civil_society": N_("Civil society"),
        "media": N_("Media"),
        "other": N_("Other"),
    },
    "review_state": {
        "draft": N_("Draft"),
        "submitted": N_("Submitted"),
        "validated": N_("Validated"),
        "returned": N_("Returned"),
    },
    "role": {
        "admin": N_("Administrator"),
        "coordinator": N_("Coordinator"),
        "focal_point": N_("Focal point"),
        "nhri": N_("National human rights institution"),
        "civil_society": N_("Civil society organisation"),
        "viewer": N_("Viewer"),
    },
    "frequency": {
        "monthly": N_("Monthly"),
        "quarterly": N_("Quarterly"),
        "semiannual": N_("Every six months"),
        "annual": N_("Annual"),
        "biennial": N_("Every two years"),
        "once": N_("Once"),
    },
}


def label(group: str, value: str | None, lang: str) -> str:
    """The translated label of an enumeration value (the value itself when unknown)."""
    if value is None:
        return ""
    message = LABELS.get(group, {}).get(value)
    if message is None:
        return value.replace("_", " ")
    return translator(lang).gettext(message)
