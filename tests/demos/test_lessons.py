"""Every lesson runs into a temporary folder and prints the numbers the documents give."""

import pytest

from demos import cli


def run(name, tmp_path):
    lines = []
    results = cli.LESSONS[name](
        out=str(tmp_path / name), plots=False, small=True, echo=lines.append
    )
    return results, "\n".join(lines)


def test_car_tax_gives_two_point_two(tmp_path):
    r, text = run("car-tax", tmp_path)
    assert r["total"] == pytest.approx(33.0)
    assert (r["d_price"], r["d_count"], r["d_tax"]) == (
        pytest.approx(2.2),
        pytest.approx(16.5),
        pytest.approx(30.0),
    )
    assert "1 x 1.1 x 2 = 2.2" in text


def test_chain_rule_gives_minus_twelve_and_its_gradients(tmp_path):
    r, text = run("chain-rule", tmp_path)
    assert (r["q"], r["f"], r["dx"], r["dy"], r["dz"]) == (3.0, -12.0, -4.0, -4.0, 3.0)
    assert "dq/dx = 1.0;  -4.0 x 1.0 = -4.0" in text


def test_part_lifetime_predicts_0867_and_one_step_lowers_the_loss(tmp_path):
    r, text = run("part-lifetime", tmp_path)
    assert r["y"] == pytest.approx(0.86707, abs=1e-5)
    assert r["loss"] == pytest.approx((1 - r["y"]) ** 2)
    assert r["loss_after"] < r["loss"]
    assert "0.867 years" in text


def test_cli_lists_every_lesson(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in cli.LESSONS:
        assert name in out


def test_cli_unknown_lesson_is_one_line_and_exit_two(capsys):
    assert cli.main(["run", "no-such-lesson"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no lesson named 'no-such-lesson'" in err


def test_cli_bad_option_exits_two_without_traceback(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "chain-rule", "--seed", "notanumber"])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
