"""`tf.debugging`: numerics checks and assertions (`tf.debugging.check_numerics`, ...)."""
from tensorlet.framework.traceback_utils import (
    disable_traceback_filtering,
    enable_traceback_filtering,
    is_traceback_filtering_enabled,
)
from tensorlet.ops.debugging import (
    Assert,
    assert_equal,
    assert_greater,
    assert_greater_equal,
    assert_less,
    assert_non_negative,
    assert_positive,
    check_numerics,
)
from tensorlet.ops.math import is_finite, is_inf, is_nan
from tensorlet.runtime.numerics import disable_check_numerics, enable_check_numerics

__all__ = ["Assert", "assert_equal", "assert_greater", "assert_greater_equal", "assert_less",
           "assert_non_negative", "assert_positive", "check_numerics", "disable_check_numerics",
           "disable_traceback_filtering", "enable_check_numerics", "enable_traceback_filtering",
           "is_finite", "is_inf", "is_nan", "is_traceback_filtering_enabled"]
