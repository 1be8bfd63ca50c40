"""Issue 17: `chainrule exercise op NAME FILE` grades a student's forward and local derivative.

Each test writes a student's file as a student would, grades it through the command line
(demos.cli.main, or the installed command in a subprocess) and reads the report as the
student does: right answers pass, typical wrong ones fail with the hint a teacher would
give, an error in the student's code is one line naming THEIR line, exit 0 passed, 1 not
yet, 2 a usage mistake; in English and in Chinese.
"""

import os
import re
import subprocess
import sys
import textwrap

import pytest

from demos import cli, cmd_exercise
from viz.format import width

CHAINRULE = os.path.join(os.path.dirname(sys.executable), "chainrule")  # the venv's script
N1, N2 = len(cmd_exercise.UNARY_POINTS), len(cmd_exercise.BINARY_POINTS)

RIGHT = {
    "sigmoid": """
        import math
        def forward(a):
            return 1 / (1 + math.exp(-a))
        def local(a, y):
            return y * (1 - y)
        """,
    "tanh": """
        import math
        def forward(a):
            return (math.exp(a) - math.exp(-a)) / (math.exp(a) + math.exp(-a))
        def local(a, y):
            return 1 - y * y
        """,
    "softplus": """
        import math
        def forward(a):
            return math.log(1 + math.exp(a))
        def local(a, y):
            return 1 / (1 + math.exp(-a))
        """,
    "division": """
        def forward(a, b):
            return a / b
        def local(a, b, y):
            return 1 / b, -y / b
        """,
    "own": '''
        """f(a) = a·exp(-a)"""
        import math
        def forward(a):
            return a * math.exp(-a)
        def local(a, y):
            return math.exp(-a) * (1 - a)
        ''',
}


def student(tmp_path, body, name="answer.py"):
    """The student's file `name`, holding `body` (dedented)."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def grade(capsys, exercise, path, *extra):
    """`chainrule exercise op EXERCISE PATH`: (status, stdout, stderr)."""
    status = cli.main(["exercise", "op", exercise, str(path), *extra])
    out, err = capsys.readouterr()
    return status, out, err


def one_line(stderr):
    assert stderr.count("\n") == 1 and stderr.startswith("chainrule: "), stderr
    assert "Traceback" not in stderr
    return stderr.rstrip("\n")


@pytest.mark.parametrize("exercise", list(RIGHT))
def test_a_right_answer_passes_every_shipped_exercise(tmp_path, capsys, exercise):
    status, out, err = grade(capsys, exercise, student(tmp_path, RIGHT[exercise]))
    n = N2 if exercise == "division" else N1
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[-1].startswith("Passed:") and f"at all {n} points" in lines[-1]
    assert "wrong" not in out and "Hint" not in out
    if exercise == "own":
        assert lines[0] == f"Your own op, f(a) = a·exp(-a): checked at {n} points."
    else:
        assert f"forward: right at all {n} points." in lines
        assert lines[0].startswith(f"Exercise {exercise}, y = ")


WRONG = [  # (exercise, forward, local, what the hint says)
    ("sigmoid", "1 / (1 + math.exp(-a))", "-y * (1 - y)", "Right size, wrong sign"),
    ("sigmoid", "1 / (1 + math.exp(-a))", "a * (1 - a)", "with a in place of y"),
    ("sigmoid", "1 / (1 + math.exp(-a))", "-y * y", "also multiplies by du/da"),
    ("tanh", "math.tanh(a)", "2 * (1 - y * y)", "your answer is 2 times the right one"),
    ("tanh", "math.tanh(a)", "(1 - y * y) / 2", "your answer is 0.5 times the right one"),
    ("tanh", "math.tanh(a)", "1 - y", "has y squared in it"),
    ("tanh", "math.tanh(a)", "1 - a * a", "with a in place of y"),
    ("softplus", "math.log(1 + math.exp(a))", "1 / (1 + math.exp(a))", "derivative of log(u)"),
    ("softplus", "math.log(1 + math.exp(a))", "math.exp(a)", "This is only du/da"),
]


@pytest.mark.parametrize("exercise, forward, local, hint", WRONG)
def test_a_typical_mistake_fails_with_the_hint_a_teacher_would_give(
    tmp_path, capsys, exercise, forward, local, hint
):
    body = f"import math\ndef forward(a):\n    return {forward}\n"
    body += f"def local(a, y):\n    return {local}\n"
    status, out, err = grade(capsys, exercise, student(tmp_path, body))
    assert (status, err) == (1, "")
    lines = out.splitlines()
    assert f"forward: right at all {N1} points." in lines
    wrong = next(line for line in lines if line.startswith("local: wrong at"))
    assert wrong.endswith("; the first 3:") and f" of {N1} points" in wrong
    assert hint in " ".join(out.split()), out
    assert sum(line.startswith("  Hint: ") for line in lines) == 1
    assert lines[-1] == "Not yet: your forward is right; the local derivative needs another look."


def test_the_wrong_points_show_expected_beside_given(tmp_path, capsys):
    body = RIGHT["sigmoid"].replace("y * (1 - y)", "-y * (1 - y)")
    status, out, _ = grade(capsys, "sigmoid", student(tmp_path, body))
    rows = [line for line in out.splitlines() if "you gave" in line]
    assert rows == [
        "  a = 0    expected 0.25, you gave -0.25",
        "  a = 1    expected 0.1966, you gave -0.1966",
        "  a = -1   expected 0.1966, you gave -0.1966",
    ]


def test_numbers_get_the_digits_that_show_them_apart(tmp_path, capsys):
    body = RIGHT["tanh"].replace("1 - y * y", "(1 - y * y) * 1.001")
    status, out, _ = grade(capsys, "tanh", student(tmp_path, body))
    assert status == 1
    assert "  a = 0    expected 1, you gave 1.001" in out.splitlines()


def test_division_hints_name_the_derivative_that_is_wrong(tmp_path, capsys):
    body = "def forward(a, b):\n    return a / b\ndef local(a, b, y):\n    return 1 / b, -a / b\n"
    status, out, _ = grade(capsys, "division", student(tmp_path, body))
    lines = out.splitlines()
    assert status == 1
    assert f"local ∂y/∂a: right at all {N2} points." in lines
    assert any(line.startswith("local ∂y/∂b: wrong at") for line in lines)
    assert "  a = 1, b = 2     expected -0.25, you gave -0.5" in lines
    assert "(b is missing once)" in " ".join(out.split())


def test_division_with_the_two_derivatives_swapped_says_so(tmp_path, capsys):
    body = "def forward(a, b):\n    return a / b\ndef local(a, b, y):\n    return -y / b, 1 / b\n"
    status, out, _ = grade(capsys, "division", student(tmp_path, body))
    assert status == 1
    assert " ".join(out.split()).count("This is the other input's derivative") == 2


def test_the_points_never_divide_by_a_divisor_near_zero():
    assert min(abs(b) for _a, b in cmd_exercise.BINARY_POINTS) >= 0.1


def test_a_wrong_forward_is_reported_and_the_local_is_still_graded_on_its_own(tmp_path, capsys):
    body = RIGHT["sigmoid"].replace("math.exp(-a)", "math.exp(a)")
    status, out, _ = grade(capsys, "sigmoid", student(tmp_path, body))
    lines = out.splitlines()
    assert status == 1
    assert lines[1].startswith(f"forward: wrong at {N1 - 1} of {N1} points")  # right at 0 only
    assert "  a = 1    expected 0.7311, you gave 0.2689" in lines
    assert f"local: right at all {N1} points." in lines  # local gets the engine's y
    assert lines[-1] == "Not yet: your local derivative is right; forward needs another look."


def test_wrong_only_at_large_inputs_is_caught(tmp_path, capsys):
    body = RIGHT["tanh"].replace("return 1 - y * y", "return 1 - y * y if abs(a) < 10 else 0.5")
    status, out, _ = grade(capsys, "tanh", student(tmp_path, body))
    assert status == 1
    assert "local: wrong at 4 of" in out and "  a = 15 " in out


def test_wrong_only_at_a_corner_of_the_students_own_op(tmp_path, capsys):
    body = '''
        """f(a) = relu(a)"""
        def forward(a):
            return max(a, 0.0)
        def local(a, y):
            return 2.0 if a == 0 else (1.0 if a > 0 else 0.0)
        '''
    status, out, _ = grade(capsys, "own", student(tmp_path, body))
    lines = out.splitlines()
    assert status == 1
    assert f"local: wrong at 1 of {N1} points:" in lines
    assert "  a = 0   expected 0 to 1 (a corner), you gave 2" in lines
    assert "except at the corners of the function" in " ".join(out.split())


@pytest.mark.parametrize("at_zero", ["0.0", "1.0", "0.5"])
def test_any_slope_between_the_two_sides_of_a_corner_is_right(tmp_path, capsys, at_zero):
    body = f'''
        """f(a) = |a| + a"""
        def forward(a):
            return abs(a) + a
        def local(a, y):
            return {at_zero} * 2 if a == 0 else (2.0 if a > 0 else 0.0)
        '''
    status, out, _ = grade(capsys, "own", student(tmp_path, body))
    assert status == 0, out


def test_wrong_just_beside_a_corner_points_there(tmp_path, capsys):
    body = '''
        """f(a) = relu(a)"""
        def forward(a):
            return max(a, 0.0)
        def local(a, y):
            return 1.0 if a > 0.01 else 0.0
        '''
    status, out, _ = grade(capsys, "own", student(tmp_path, body))
    assert status == 1
    assert "  a = 0.001   expected 1, you gave 0" in out.splitlines()
    assert "right everywhere except close to a = 0" in " ".join(out.split())


def test_the_students_own_op_with_two_inputs_and_a_limited_domain(tmp_path, capsys):
    two = '''
        """f(a, b) = a·b²"""
        def forward(a, b):
            return a * b * b
        def local(a, b, y):
            return b * b, a * b
        '''
    status, out, _ = grade(capsys, "own", student(tmp_path, two))
    assert status == 1
    assert f"local ∂y/∂a: right at all {N2} points." in out
    assert "your answer is 0.5 times the right one" in " ".join(out.split())
    root = '''
        """f(a) = √a"""
        import math
        def forward(a):
            return math.sqrt(a)
        def local(a, y):
            return 0.5 / y
        '''
    status, out, _ = grade(capsys, "own", student(tmp_path, root, "root.py"))
    skipped = sum(1 for (a,) in cmd_exercise.UNARY_POINTS if a <= 0)  # no value, or no slope
    assert status == 0, out
    assert f"({skipped} points skipped: your forward has no value or no slope there.)" in out
    assert f"local: right at all {N1 - skipped} points." in out


def test_the_own_op_without_a_docstring_is_still_graded_and_says_what_is_missing(tmp_path, capsys):
    body = "def forward(a):\n    return a * a\ndef local(a, y):\n    return 2 * a\n"
    status, out, _ = grade(capsys, "own", student(tmp_path, body))
    assert status == 0
    assert out.startswith("Your own op, (your file's docstring does not name the function):")


# ---- The student's code going wrong: one line, their line number, never a traceback ---------


def line_of(path, text):
    """The number of the line of `path` holding `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def report_has_no_traceback(out, err):
    assert "Traceback" not in out + err and "cmd_exercise" not in out + err


def test_an_exception_in_local_names_the_line_of_the_students_file(tmp_path, capsys):
    body = """
        import math
        def forward(a):
            return math.tanh(a)
        def helper(a):
            return 1 / a
        def local(a, y):
            return helper(a) * 0 + 1 - y * y
        """
    path = student(tmp_path, body, "mine.py")
    status, out, err = grade(capsys, "tanh", path)
    report_has_no_traceback(out, err)
    line = line_of(path, "return 1 / a")
    assert (status, err) == (1, "")
    assert (
        f"local stopped with an error at line {line} of mine.py, with a = 0: "
        "ZeroDivisionError: float division by zero"
    ) in out.splitlines()


def test_an_error_inside_a_library_call_names_the_students_line(tmp_path, capsys):
    body = "import math\ndef forward(a):\n    return math.tanh(a)\n"
    body += "def local(a, y):\n    return math.log(a)\n"
    status, out, err = grade(capsys, "tanh", student(tmp_path, body))
    report_has_no_traceback(out, err)
    assert "local stopped with an error at line 5 of answer.py, with a = 0: " in out
    assert "ValueError: math domain error" in out


@pytest.mark.parametrize(
    "body, said",
    [
        ("def forward(a)\n    return a\n", "answer.py has a syntax error at line 1: "),
        ("import math\nx = math.log(-1)\n", "answer.py stopped at line 2 while it was loading: "
                                            "ValueError: math domain error"),
        ("import sys\n\nsys.exit(3)\n", "answer.py stopped at line 3 while it was loading: "
                                        "SystemExit: 3"),
        ("def forward(a):\n    return a\n",
         "answer.py has no function local: the exercise needs `def local(a, y):`"),
        ("def forward(a, b):\n    return a\ndef local(a, y):\n    return 1\n",
         "forward takes (a, b), but the exercise gives it 1: write `def forward(a):`"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_graded_says_why_in_one_line(tmp_path, capsys, body, said):
    status, out, err = grade(capsys, "tanh", student(tmp_path, body))
    report_has_no_traceback(out, err)
    assert (status, err) == (1, "")
    assert out.splitlines() == [out.splitlines()[0], "Not yet: fix this, then run the check again."]
    assert out.startswith(said)


@pytest.mark.parametrize(
    "local, said",
    [
        ("1 - y * y if a != 1 else float('nan')", "  a = 1   expected 0.42, you gave nan"),
        ("print(a)", "local returned `None` with a = 0: did you forget `return`?"),
        ("(1 - y * y, 0)", "local must return one number; it returned (1.0, 0)"),
        ("'1 - y * y'", "local returned '1 - y * y' with a = 0: it must be a number"),
    ],
)
def test_a_local_that_returns_no_number_says_so(tmp_path, capsys, local, said):
    body = "import math\ndef forward(a):\n    return math.tanh(a)\n"
    body += f"def local(a, y):\n    return {local}\n"
    status, out, err = grade(capsys, "tanh", student(tmp_path, body))
    assert (status, err) == (1, "")
    assert said in out.splitlines()
    if "nan" in local:
        assert "nan means not a number" in " ".join(out.split())


def test_a_division_local_must_return_a_pair(tmp_path, capsys):
    body = "def forward(a, b):\n    return a / b\ndef local(a, b, y):\n    return 1 / b\n"
    status, out, _ = grade(capsys, "division", student(tmp_path, body))
    assert status == 1
    assert "local must return two numbers, (∂y/∂a, ∂y/∂b); it returned 0.5" in out


def test_each_run_reads_the_file_afresh(tmp_path, capsys):
    # The same size and the same second: a cached .pyc would be taken for the new file.
    path = student(tmp_path, RIGHT["tanh"])
    assert grade(capsys, "tanh", path)[0] == 0
    path.write_text(path.read_text().replace("1 - y * y", "1 + y * y"))
    status, out, _ = grade(capsys, "tanh", path)
    assert status == 1 and "check the sign in front of y²" in out
    assert not (tmp_path / "__pycache__").exists()
    assert not any(name.startswith("chainrule_exercise") for name in sys.modules)


# ---- Templates, the list, usage --------------------------------------------------------------


def fill(path, forward, local=None):
    """Write the answers where the template's `raise` lines are (None: leave it there)."""
    text = path.read_text(encoding="utf-8")
    for name, answer in (("forward", forward), ("local", local)):
        if answer is not None:
            text = text.replace(f'raise NotImplementedError("{name}")', f"return {answer}")
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_template_filled_in_passes_and_unfilled_says_what_to_write(tmp_path, capsys, lang):
    status = cli.main(["--lang", lang, "exercise", "op", "sigmoid", "--template", "--out",
                       str(tmp_path / "hw")])  # fmt: skip
    out, err = capsys.readouterr()
    path = tmp_path / "hw" / "sigmoid.py"
    assert (status, err) == (0, "")
    text = path.read_text(encoding="utf-8")
    compile(text, str(path), "exec")
    assert all(line.count("`") % 2 == 0 for line in text.splitlines())  # no `code` cut in two
    assert "    y = σ(a) = 1 / (1 + e^(-a))" in text
    assert "    chainrule exercise op sigmoid sigmoid.py" in text
    assert "def forward(a):" in text and "def local(a, y):" in text
    if lang == "en":
        assert "python sigmoid.py" in text and "local derivative ∂y/∂a" in text
        assert out.startswith(f"Wrote {path}: fill in forward and local, then run")
    else:
        assert "练习 sigmoid：写出前向计算和局部导数。" in text and "上游梯度" in text
        assert "# 返回输出 y" in text and "就像 `python sigmoid.py` 一样" in text
    status, report, _ = grade(capsys, "sigmoid", path)
    assert status == 1
    assert (
        "forward is not written yet (line {}): replace the `raise` with your formula.".format(
            line_of(path, 'raise NotImplementedError("forward")')
        )
        in report.splitlines()
    )
    if lang == "en":
        assert report.splitlines()[-1] == (
            "Not yet: write what the template leaves to you, then run the check again."
        )
    fill(path, "1 / (1 + math.exp(-a))")
    status, report, _ = grade(capsys, "sigmoid", path)
    assert status == 1 and f"forward: right at all {N1} points." in report
    assert "local is not written yet" in report
    fill(path, None, "y * (1 - y)")
    assert grade(capsys, "sigmoid", path)[0] == 0


def test_the_own_template_in_chinese_keeps_each_code_span_on_one_line(tmp_path, capsys):
    argv = ["exercise", "op", "own", "--template", "--out", str(tmp_path), "--lang", "zh-CN"]
    assert cli.main(argv) == 0
    text = (tmp_path / "own.py").read_text(encoding="utf-8")
    assert "`forward(a, b)` 和 `local(a, b, y)`" in text
    assert all(line.count("`") % 2 == 0 for line in text.splitlines())
    assert max(map(width, text.splitlines())) <= 88


def test_the_division_template_asks_for_a_pair(tmp_path, capsys):
    assert cli.main(["exercise", "op", "division", "--template", "--out", str(tmp_path)]) == 0
    path = tmp_path / "division.py"
    text = path.read_text(encoding="utf-8")
    assert "def forward(a, b):" in text and "def local(a, b, y):" in text
    fill(path, "a / b", "(1 / b, -y / b)")
    assert grade(capsys, "division", path)[0] == 0


def test_a_template_never_overwrites_a_students_work(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["exercise", "op", "own", "--template"]) == 0
    capsys.readouterr()
    work = tmp_path / "own.py"
    work.write_text("my work")
    status = cli.main(["exercise", "op", "own", "--template"])
    assert status == 1
    assert "own.py is there already" in one_line(capsys.readouterr().err)
    assert work.read_text() == "my work"


def test_list_and_op_list_name_every_exercise(capsys):
    assert cli.main(["exercise", "list"]) == 0
    listed = capsys.readouterr().out
    assert cli.main(["exercise", "op", "--list"]) == 0
    assert capsys.readouterr().out == listed
    assert [line.split()[0] for line in listed.splitlines()] == list(cmd_exercise.EXERCISES)
    assert "softplus  log(1 + e^a), a smooth ReLU" in listed.splitlines()


@pytest.mark.parametrize(
    "argv, said",
    [
        (["exercise"], "say what to do"),
        (["exercise", "op"], "name an exercise"),
        (["exercise", "op", "relu", "x.py"], "no exercise named 'relu'; choose one of: sigmoid"),
        (["exercise", "op", "tanh"], "give the file to grade"),
        (["exercise", "op", "tanh", "x.py", "--template"], "--template writes a file"),
        (["exercise", "op", "tanh", "x.py", "--out", "d"], "--out is for --template only"),
    ],
)
def test_usage_mistakes_exit_2_with_one_line(tmp_path, capsys, monkeypatch, argv, said):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert said in one_line(err) and out == ""
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_cannot_be_read_exits_1_with_one_line(tmp_path, capsys):
    status, out, err = grade(capsys, "tanh", tmp_path / "missing.py")
    assert (status, out) == (1, "")
    assert one_line(err).startswith(f"chainrule: cannot read {tmp_path / 'missing.py'}: ")


def test_the_python_api_refuses_a_bad_language_or_exercise_first(tmp_path):
    path = student(tmp_path, RIGHT["tanh"])
    with pytest.raises(ValueError, match="grade: lang='fr'"):
        cmd_exercise.grade("tanh", path, lang="fr")
    with pytest.raises(ValueError, match="no exercise 'relu'"):
        cmd_exercise.grade("relu", path)
    assert cmd_exercise.grade("tanh", path, lang="en")[0] is True


# ---- Chinese ---------------------------------------------------------------------------------

# Latin words a Chinese report keeps: the functions' names, the exercises', maths' names.
KEPT = {"forward", "local", "sigmoid", "tanh", "softplus", "division", "own", "relu", "nan",
        "inf", "log", "exp", "return", "none", "raise", "python", "chainrule"}  # fmt: skip
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")


def english_left(text):
    plain = re.sub(r"`[^`]*`|\S+\.py\b|'[^']*'", " ", text)
    return [w for w in ENGLISH_WORD.findall(plain) if w.lower() not in KEPT]


def test_the_report_in_chinese_has_the_numbers_and_no_english_sentence(tmp_path, capsys):
    body = RIGHT["tanh"].replace("1 - y * y", "2 * (1 - y * y)")
    status, out, err = grade(capsys, "tanh", student(tmp_path, body), "--lang", "zh-CN")
    lines = out.splitlines()
    assert (status, err) == (1, "")
    assert lines[0] == ("练习 tanh，y = tanh(a) = (e^a - e^(-a)) / (e^a + e^(-a))："
                        f"在 {N1} 个点上检查。")  # fmt: skip
    assert f"forward：全部 {N1} 个点都对。" in lines
    assert "  a = 0    应为 1，你给的是 2" in lines
    assert "  提示：在每个出错的点上，你的答案都是正确答案的 2 倍：差了一个常数因子。" in lines
    assert lines[-1] == "还没通过：你的 `forward` 是对的，局部导数还要再看看。"
    assert english_left(out) == []


def test_a_pass_and_a_corner_in_chinese(tmp_path, capsys):
    status, out, _ = grade(capsys, "division", student(tmp_path, RIGHT["division"]), "--lang", "zh")
    assert status == 0
    assert out.splitlines()[-1] == f"通过：`forward` 和局部导数在全部 {N2} 个点上都对。做得好！"
    body = '"""f(a) = relu(a)"""\ndef forward(a):\n    return max(a, 0.0)\n'
    body += "def local(a, y):\n    return 2.0\n"
    status, out, _ = grade(capsys, "own", student(tmp_path, body), "--lang", "zh-CN")
    assert status == 1
    assert "  a = 0    应为 0 到 1 之间（折点），你给的是 2" in out.splitlines()
    assert "  a = -1   应为 0，你给的是 2" in out.splitlines()
    assert "倍" not in out  # 2 where 0 is right: no constant factor makes that

    assert english_left(out.replace("relu", "")) == []


def test_english_stays_english_with_lang_en(tmp_path):
    body = RIGHT["sigmoid"].replace("y * (1 - y)", "-y * (1 - y)")
    passed, lines = cmd_exercise.grade("sigmoid", student(tmp_path, body), lang="en")
    assert not passed
    assert lines[-1] == "Not yet: your forward is right; the local derivative needs another look."


def test_the_installed_command_grades_in_the_environments_language(tmp_path):
    path = student(tmp_path, RIGHT["softplus"].replace("math.exp(-a)", "math.exp(a)"), "sp.py")
    env = {**os.environ, "LANGUAGE": "", "LC_ALL": "", "LANG": "zh_CN.UTF-8"}
    done = subprocess.run([CHAINRULE, "exercise", "op", "softplus", str(path)], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert (done.returncode, done.stderr) == (1, "")
    assert "提示：你求了 log(u) 的导数 1/u，就停下了：链式法则还要再乘上 du/da" in done.stdout
    student(tmp_path, RIGHT["softplus"], "sp.py")
    env["LANG"] = "C.UTF-8"
    done = subprocess.run([CHAINRULE, "exercise", "op", "softplus", "sp.py"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1] == (
        f"Passed: forward and the local derivative are right at all {N1} points. Well done!"
    )
