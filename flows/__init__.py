"""The shopchat flow language: load, lint and run YAML shopping dialogues.

Errors::

    ProjectError            a bot project failed to load; .diagnostics lists file:line:col problems
    TemplateError           a template failed at run time (the engine turns it into a polite reply)
    FlowRuntimeError        a flow looped without asking anything
    ActionError             an action's own failure, handled by on_error
"""

from .actions import ActionContext, ActionError, ActionRegistry, ActionSpec
from .compiled import Project
from .diagnostics import Diagnostic, ProjectError
from .driver import arun_turn, run_turn, start_action_threads
from .engine import Engine, FlowRuntimeError, Turn, end_handoff, start_handoff
from .events import (
    ActionResult,
    CatalogOrderInput,
    ChoiceInput,
    ContactInput,
    Event,
    ImageInput,
    LocationInput,
    MediaInput,
    MediaKind,
    OrderedItem,
    SetLocaleInput,
    StartInput,
    TextInput,
)
from .loader import load_project, parse_duration, require_project
from .model import flow_json_schema
from .replies import (
    ActionCall,
    Choice,
    Effect,
    Handoff,
    ImageReply,
    ProductCard,
    ProductCards,
    Remember,
    Reply,
    TextReply,
)
from .state import Frame, SessionState
from .templates import TemplateError

__all__ = [
    "ActionCall",
    "ActionContext",
    "ActionError",
    "ActionRegistry",
    "ActionResult",
    "ActionSpec",
    "CatalogOrderInput",
    "Choice",
    "ChoiceInput",
    "ContactInput",
    "Diagnostic",
    "Effect",
    "Engine",
    "Event",
    "FlowRuntimeError",
    "Frame",
    "Handoff",
    "ImageInput",
    "ImageReply",
    "LocationInput",
    "MediaInput",
    "MediaKind",
    "OrderedItem",
    "ProductCard",
    "ProductCards",
    "Project",
    "ProjectError",
    "Remember",
    "Reply",
    "SessionState",
    "SetLocaleInput",
    "StartInput",
    "TemplateError",
    "TextInput",
    "TextReply",
    "Turn",
    "arun_turn",
    "end_handoff",
    "flow_json_schema",
    "load_project",
    "parse_duration",
    "require_project",
    "run_turn",
    "start_action_threads",
    "start_handoff",
]
