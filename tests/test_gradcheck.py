"""Every registered differentiable op's gradient against central differences (float64)."""
import os

import pytest
from gradcheck import check_op

from tensorlet.framework.registry import all_op_defs

_DIFFERENTIABLE = sorted(t for t, d in all_op_defs().items()
                         if d.differentiable and not d.gradcheck_in)
# Ops with subgraph attrs (cond) are checked numerically by a named test file instead.
_ELSEWHERE = sorted(t for t, d in all_op_defs().items() if d.differentiable and d.gradcheck_in)


@pytest.mark.parametrize("op_type", _DIFFERENTIABLE)
def test_op_gradient(op_type):
    opdef = all_op_defs()[op_type]
    assert opdef.samples is not None, f"{op_type} is differentiable but declares no samples"
    samples = opdef.samples()
    assert samples, f"{op_type} declares an empty sample list"
    for arrays, attrs in samples:
        check_op(op_type, arrays, attrs)


@pytest.mark.parametrize("op_type", _ELSEWHERE)
def test_gradient_checked_elsewhere(op_type):
    path = os.path.join(os.path.dirname(__file__), all_op_defs()[op_type].gradcheck_in)
    assert os.path.isfile(path), f"{op_type}: gradient test file {path} is missing"
    with open(path) as f:
        assert f'"{op_type}"' in f.read(), f"{path} does not test the {op_type} op"
