"""The command line prints ids as they are: `quota:A:` is a shortfall's key, not rich's emoji code :A:."""
import io

from service.terminal import terminal


def test_ids_with_colons_are_printed_as_they_are():
    out = io.StringIO()
    terminal(file=out, width=80).print("  - quota:A: 差 6   excellent:A/B: 差 2")
    assert out.getvalue().rstrip() == "  - quota:A: 差 6   excellent:A/B: 差 2"
