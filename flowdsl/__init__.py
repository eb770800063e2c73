"""flowdsl: write Netflix Conductor workflows as plain Python functions.

``@task`` functions are the workers; ``@workflow`` functions are traced once
into a graph using the combinators below. Compile with
``compiler.compile_workflow``; simulate with the ``testing`` package.

Importing flowdsl is cheap and has no side effects: it loads only the
standard library.
"""

from __future__ import annotations

from flowdsl.control import JsExpr as JsExpr
from flowdsl.control import LoopHandle as LoopHandle
from flowdsl.control import SwitchHandle as SwitchHandle
from flowdsl.control import do_while as do_while
from flowdsl.control import dynamic_fork as dynamic_fork
from flowdsl.control import dynamic_fork_tasks as dynamic_fork_tasks
from flowdsl.control import fork as fork
from flowdsl.control import js as js
from flowdsl.control import sub_workflow as sub_workflow
from flowdsl.control import switch as switch
from flowdsl.errors import FlowError as FlowError
from flowdsl.errors import Problem as Problem
from flowdsl.errors import SourceLocation as SourceLocation
from flowdsl.errors import SymbolicValueError as SymbolicValueError
from flowdsl.errors import WorkflowDefinitionError as WorkflowDefinitionError
from flowdsl.handle import Handle as Handle
from flowdsl.ref import Ref as Ref
from flowdsl.spec import OptionError as OptionError
from flowdsl.spec import RetryLogic as RetryLogic
from flowdsl.spec import TimeoutPolicy as TimeoutPolicy
from flowdsl.spec import WorkflowTimeoutPolicy as WorkflowTimeoutPolicy
from flowdsl.system import dynamic as dynamic
from flowdsl.system import event as event
from flowdsl.system import exclusive_join as exclusive_join
from flowdsl.system import http as http
from flowdsl.system import human as human
from flowdsl.system import inline as inline
from flowdsl.system import jq_transform as jq_transform
from flowdsl.system import kafka_publish as kafka_publish
from flowdsl.system import noop as noop
from flowdsl.system import raw_task as raw_task
from flowdsl.system import secret as secret
from flowdsl.system import set_variable as set_variable
from flowdsl.system import start_workflow as start_workflow
from flowdsl.system import terminate as terminate
from flowdsl.system import variable as variable
from flowdsl.system import wait as wait
from flowdsl.system import workflow_input as workflow_input
from flowdsl.system import workflow_property as workflow_property
from flowdsl.task import TaskFunction as TaskFunction
from flowdsl.task import task as task
from flowdsl.workflow import WorkflowFunction as WorkflowFunction
from flowdsl.workflow import WorkflowRef as WorkflowRef
from flowdsl.workflow import external_workflow as external_workflow
from flowdsl.workflow import workflow as workflow

__all__ = [
    "FlowError",
    "Handle",
    "JsExpr",
    "LoopHandle",
    "OptionError",
    "Problem",
    "Ref",
    "RetryLogic",
    "SourceLocation",
    "SwitchHandle",
    "SymbolicValueError",
    "TaskFunction",
    "TimeoutPolicy",
    "WorkflowDefinitionError",
    "WorkflowFunction",
    "WorkflowRef",
    "WorkflowTimeoutPolicy",
    "do_while",
    "dynamic",
    "dynamic_fork",
    "dynamic_fork_tasks",
    "event",
    "exclusive_join",
    "external_workflow",
    "fork",
    "http",
    "human",
    "inline",
    "jq_transform",
    "js",
    "kafka_publish",
    "noop",
    "raw_task",
    "secret",
    "set_variable",
    "start_workflow",
    "sub_workflow",
    "switch",
    "task",
    "terminate",
    "variable",
    "wait",
    "workflow",
    "workflow_input",
    "workflow_property",
]
