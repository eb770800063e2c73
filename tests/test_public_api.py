"""The public API of flowdsl and compiler is pinned."""

from __future__ import annotations

import pytest

import compiler
import flowdsl

FLOWDSL_API = [
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

COMPILER_API = [
    "CompiledWorkflow",
    "END",
    "START",
    "build_graph",
    "compile_workflow",
    "dumps",
    "validate_task_defs",
    "validate_workflow_def",
]


def test_flowdsl_all_is_pinned() -> None:
    """flowdsl.__all__ is exactly the pinned list."""
    assert sorted(flowdsl.__all__) == FLOWDSL_API


def test_compiler_all_is_pinned() -> None:
    """compiler.__all__ is exactly the pinned list."""
    assert sorted(compiler.__all__) == COMPILER_API


def test_all_has_no_duplicates() -> None:
    """Neither __all__ lists a name twice."""
    assert len(set(flowdsl.__all__)) == len(flowdsl.__all__)
    assert len(set(compiler.__all__)) == len(compiler.__all__)


@pytest.mark.parametrize("name", FLOWDSL_API)
def test_every_flowdsl_name_resolves(name: str) -> None:
    """Each public flowdsl name is an attribute of the package."""
    assert getattr(flowdsl, name) is not None


@pytest.mark.parametrize("name", COMPILER_API)
def test_every_compiler_name_resolves(name: str) -> None:
    """Each public compiler name resolves (lazily) to an object."""
    assert getattr(compiler, name) is not None


def test_compiler_unknown_name_is_an_attribute_error() -> None:
    """A name compiler does not export raises AttributeError."""
    with pytest.raises(AttributeError, match="module 'compiler' has no attribute 'nope'"):
        compiler.nope  # noqa: B018


def test_flowdsl_errors_share_a_base() -> None:
    """Every public flowdsl error derives from FlowError."""
    for error in (flowdsl.OptionError, flowdsl.SymbolicValueError, flowdsl.WorkflowDefinitionError):
        assert issubclass(error, flowdsl.FlowError)


def test_testing_public_names_are_pinned_and_resolve() -> None:
    """``testing.__all__`` is exactly the simulator API, and every name imports lazily."""
    import testing

    assert sorted(testing.__all__) == [
        "MockBuilder",
        "Mocks",
        "Run",
        "SimulationError",
        "Simulator",
        "TaskView",
        "WorkerStep",
    ]
    for name in testing.__all__:
        assert getattr(testing, name) is not None


def test_report_and_coverage_public_names() -> None:
    """``testing.report.__all__`` is pinned, and every name resolves lazily."""
    import testing.report

    assert sorted(testing.report.__all__) == ["ExecutionError", "render_report", "write_report"]
    for name in testing.report.__all__:
        assert getattr(testing.report, name) is not None
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        testing.report.nope  # noqa: B018


def test_diagram_public_names_are_pinned_and_resolve() -> None:
    """``compiler.diagram.__all__`` is exactly the diagram API, and every name imports lazily."""
    import compiler.diagram

    assert sorted(compiler.diagram.__all__) == [
        "Overlay",
        "RenderError",
        "TaskStyle",
        "render",
        "run_overlay",
        "to_dot",
        "to_mermaid",
    ]
    for name in compiler.diagram.__all__:
        assert getattr(compiler.diagram, name) is not None
    assert callable(compiler.diagram.render)  # the function, not the module of that name
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        compiler.diagram.nope  # noqa: B018


CODEGEN_API = [
    "CodegenError",
    "GeneratedModule",
    "generate_module",
    "import_file",
    "normalise_workflow_def",
    "round_trip",
    "upgrade_legacy",
]


def test_codegen_public_names_are_pinned_and_resolve() -> None:
    """``compiler.codegen.__all__`` is exactly the import API, and every name imports lazily."""
    import compiler.codegen as codegen

    assert sorted(codegen.__all__) == CODEGEN_API
    for name in CODEGEN_API:
        assert getattr(codegen, name) is not None
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        codegen.nope  # noqa: B018
