"""Every registered differentiable op's gradient against central differences (float64)."""
import pytest

from gradcheck import check_op
from tensorlet.framework.registry import all_op_defs

_DIFFERENTIABLE = sorted(t for t, d in all_op_defs().items() if d.differentiable)


@pytest.mark.parametrize("op_type", _DIFFERENTIABLE)
def test_op_gradient(op_type):
    opdef = all_op_defs()[op_type]
    assert opdef.samples is not None, f"{op_type} is differentiable but declares no samples"
    samples = opdef.samples()
    assert samples, f"{op_type} declares an empty sample list"
    for arrays, attrs in samples:
        check_op(op_type, arrays, attrs)
