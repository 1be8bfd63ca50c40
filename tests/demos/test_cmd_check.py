"""`chainrule check KEY ANSWERS.csv`, as a teacher runs it: a key.json in the worksheet format
(written here, small), answers typed as a class types them, and the verdicts, tables and files
that come back, in English and in Chinese."""

import copy
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from demos.cli import main
from demos.cmd_check import read_number
from viz.format import width

ROOT = Path(__file__).resolve().parents[2]
CHAINRULE = Path(sys.executable).with_name("chainrule")  # the venv's installed command
HEADER = "student,sheet,question,answer\n"
# Two exercises on one sheet for the whole class, as `chainrule worksheet` writes its key.
KEY = {
    "format": "chainrule-worksheet-key", "version": 1, "seed": 7, "level": 1, "count": 2,
    "tolerance": 0.01,
    "sheets": [{"sheet": "S01", "student": None, "seed": 7, "exercises": [
        {"exercise": 1, "expression": "(x + y) * z", "at": {"x": -2, "y": 5, "z": -4},
         "questions": [{"id": "1a", "asks": "∂f/∂x", "answer": -4.0},
                       {"id": "1b", "asks": "∂f/∂z", "answer": 3.0}]},
        {"exercise": 2, "expression": "a * b", "at": {"a": 0.5, "b": 3},
         "questions": [{"id": "2a", "asks": "∂f/∂b", "answer": 0.5}]}]}],
}  # fmt: skip


@pytest.fixture
def files(tmp_path):
    """files(csv_text, key=KEY, bom=False) -> (key path, answers path), written in tmp_path."""

    def write(text, key=KEY, bom=False):
        key_path, answers = tmp_path / "key.json", tmp_path / "answers.csv"
        key_path.write_text(json.dumps(key, ensure_ascii=False), encoding="utf-8")
        answers.write_text(text, encoding="utf-8-sig" if bom else "utf-8", newline="")
        return str(key_path), str(answers)

    return write


def check(capsys, *args):
    """Run `chainrule check ARGS` as the command line does: (status, stdout, stderr)."""
    status = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def results(folder):
    """results.csv as dicts, read as a spreadsheet reads it (its BOM dropped)."""
    with open(Path(folder) / "results.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def verdicts(folder):
    return {(r["student"], r["question"]): (r["given"], r["verdict"]) for r in results(folder)}


def with_changes(change):
    key = copy.deepcopy(KEY)
    change(key)
    return key


# ---- Marking ------------------------------------------------------------------------------


def test_right_wrong_missing_and_malformed_answers_each_get_their_verdict(files, capsys):
    key, answers = files(
        HEADER + "Ann,S01,1a,-4\nAnn,S01,1b,4\nAnn,S01,2a,\nBo,S01,1a,minus four\n"
    )
    status, out, err = check(capsys, key, answers)
    assert (status, err) == (0, "")
    assert verdicts(Path(answers).parent) == {
        ("Ann", "1a"): ("-4", "right"),
        ("Ann", "1b"): ("4", "wrong"),
        ("Ann", "2a"): ("", "missing"),  # a blank answer
        ("Bo", "1a"): ("minus four", "malformed"),  # kept as written
        ("Bo", "1b"): ("", "missing"),  # no row at all
        ("Bo", "2a"): ("", "missing"),
    }
    rows = results(Path(answers).parent)
    assert list(rows[0]) == ["student", "sheet", "question", "asks", "given", "expected", "verdict"]
    assert [(r["asks"], r["expected"]) for r in rows[:3]] == [("∂f/∂x", "-4"), ("∂f/∂z", "3"),
                                                              ("∂f/∂b", "0.5")]  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == "Marked 2 students' answers against " + key + (
        ": 3 questions on 1 sheet, tolerance 0.01."
    )
    ann = next(line for line in lines if line.startswith("Ann"))
    assert ann.split() == ["Ann", "S01", "1/3", "1", "1", "1", "0"]  # right, wrong, missing, n/a
    bo = next(line for line in lines if line.startswith("Bo"))
    assert bo.split() == ["Bo", "S01", "0/3", "0", "0", "2", "1"]
    per_question = {
        line.split()[0]: line.split()[-1] for line in lines if line[:2] in ("1a", "1b", "2a")
    }
    assert per_question == {"1a": "1/2", "1b": "0/2", "2a": "0/2"}  # what the class found hard
    assert (Path(answers).parent / "results.html").is_file()
    assert out.rstrip().endswith(f"Wrote {Path(answers).parent / 'results.csv'} and "
                                 f"{Path(answers).parent / 'results.html'}")  # fmt: skip


@pytest.mark.parametrize(
    "tolerance, typed, verdict",
    [
        (0.01, "-4.01", "right"),  # exactly at the edge: 0.00999... or 0.0100...01 in floats
        (0.01, "-3.99", "right"),
        (0.01, "-4.0101", "wrong"),
        (0.01, "-3.9899", "wrong"),
        (0.01, "-4.02", "wrong"),
        (0.5, "-3.5", "right"),
        (0.5, "-4.6", "wrong"),
        (0, "-4", "right"),
        (0, "-4.001", "wrong"),
        (0.01, "-inf", "wrong"),  # a number, but not the answer
        (0.01, "nan", "wrong"),
    ],
)
def test_the_keys_tolerance_is_absolute_and_its_edge_counts(
    files, capsys, tolerance, typed, verdict
):
    key = with_changes(lambda k: k.update(tolerance=tolerance))
    key_path, answers = files(HEADER + f"Ann,S01,1a,{typed}\n", key=key)
    assert check(capsys, key_path, answers)[0] == 0
    assert verdicts(Path(answers).parent)[("Ann", "1a")] == (typed, verdict)


def test_a_one_decimal_answer_at_the_edge_survives_float_rounding(files, capsys):
    # 0.51 - 0.5 is 0.010000000000000009 in floats: the sheet's "to 0.01" still holds.
    key_path, answers = files(HEADER + "Ann,S01,2a,0.51\nBo,S01,2a,0.49\nCy,S01,2a,0.52\n")
    check(capsys, key_path, answers)
    got = verdicts(Path(answers).parent)
    assert [got[(s, "2a")][1] for s in ("Ann", "Bo", "Cy")] == ["right", "right", "wrong"]


@pytest.mark.parametrize(
    "typed",
    ["-4", "\u22124", "－４", "-４", " -4 ", "- 4", "-4.0", "-8/2", "-16 / 4", "-4e0", "-40E-1",
     "－８／２", "\u2013" + "4"],
)  # fmt: skip
def test_an_answer_is_read_as_the_players_quiz_reads_it(typed):
    assert read_number(typed) == -4


@pytest.mark.parametrize(
    "typed",
    [
        "-4,0",
        "1,000",
        "－４，０",
        "4、0",
        "four",
        "4 4",
        "--4",
        "4/",
        "٣",
        "0x10",
        "1_000",
        "",
        "e3",
    ],
)
def test_what_the_quiz_refuses_is_not_a_number_here_either(typed):
    assert read_number(typed) is None  # a comma is ambiguous; '٣' is no digit the quiz takes


def test_fractions_and_the_specials_read_like_the_browser(files):
    assert read_number("1/3") == pytest.approx(1 / 3) and read_number("０。５") == 0.5
    assert read_number("1/0") == float("inf") and read_number("-1/0") == float("-inf")
    assert read_number("0/0") != read_number("0/0")  # nan, as 0/0 is in JavaScript
    assert read_number("-∞") == float("-inf") and read_number(" Infinity ") == float("inf")


def test_a_bom_chinese_names_and_full_width_digits_are_read(files, capsys):
    text = HEADER + "王芳,S01,1a,－４\n王芳,S01,1b,３\n王芳,S01,2a,０．５\n李雷,S01,1a,\u22124\n"
    key_path, answers = files(text, bom=True)
    status, out, _ = check(capsys, key_path, answers)
    assert status == 0
    got = verdicts(Path(answers).parent)
    assert {got[("王芳", q)][1] for q in ("1a", "1b", "2a")} == {"right"}
    assert got[("李雷", "1a")] == ("\u22124", "right")
    # The table lines up by display width: the sheet column starts at one terminal column.
    rows = [line for line in out.splitlines() if line.startswith(("Student", "王芳", "李雷"))]
    starts = {width(line[: line.index(" S") + 1]) for line in rows}
    assert len(rows) == 3 and starts == {width("Student  ")}
    with open(Path(answers).parent / "results.csv", "rb") as f:
        assert f.read(3) == b"\xef\xbb\xbf"  # a BOM, so a spreadsheet shows 王芳, not mojibake


def test_an_unquoted_decimal_comma_is_malformed_and_kept_whole(files, capsys):
    key_path, answers = files(HEADER + 'Ann,S01,2a,0,5\nBo,S01,2a,"0,5"\n')
    status, out, _ = check(capsys, key_path, answers)
    got = verdicts(Path(answers).parent)
    assert status == 0 and got[("Ann", "2a")] == ("0,5", "malformed")
    assert got[("Bo", "2a")] == ("0,5", "malformed")


def test_a_spreadsheet_with_semicolons_is_read(files, capsys):
    key_path, answers = files("Student;Sheet;Question;Answer\nAnn;S01;1a;-4\nAnn;S01;2a;0,5\n")
    assert check(capsys, key_path, answers)[0] == 0
    got = verdicts(Path(answers).parent)
    assert got[("Ann", "1a")][1] == "right" and got[("Ann", "2a")] == ("0,5", "malformed")


def test_columns_in_another_order_and_extra_columns_are_fine(files, capsys):
    key_path, answers = files("answer,question,notes,sheet,student\n3,1b,late,s01,Ann\n")
    assert check(capsys, key_path, answers)[0] == 0
    assert verdicts(Path(answers).parent)[("Ann", "1b")] == ("3", "right")  # s01 is S01


def test_the_players_export_names_a_question_by_what_it_asks(files, capsys):
    key_path, answers = files(HEADER + "Ann,S01,∂f/∂x,-4\nAnn,S01,∂f / ∂z,3\n")
    assert check(capsys, key_path, answers)[0] == 0
    got = verdicts(Path(answers).parent)
    assert got[("Ann", "1a")][1] == got[("Ann", "1b")][1] == "right"


def test_a_question_asked_twice_on_a_sheet_needs_its_id(files, capsys):
    def ask_again(k):
        k["sheets"][0]["exercises"][1]["questions"][0]["asks"] = "∂f/∂x"

    key_path, answers = files(HEADER + "Ann,S01,∂f/∂x,-4\n", key=with_changes(ask_again))
    status, out, _ = check(capsys, key_path, answers)
    assert status == 0
    assert "∂f/∂x is asked by questions 1a, 2a: write the question's id" in out
    assert verdicts(Path(answers).parent)[("Ann", "∂f/∂x")] == ("-4", "unknown")


# ---- Ids the key does not have, named sheets, rows given twice ------------------------------


def test_unknown_sheets_questions_and_students_are_reported_not_dropped(files, capsys):
    text = HEADER + "Ann,S01,1a,-4\nAnn,S09,1a,-4\nAnn,S01,9z,1\n,S01,1b,3\n"
    key_path, answers = files(text)
    status, out, _ = check(capsys, key_path, answers)
    assert status == 0
    said = out.split("To look at (these rows are in results.csv, as unknown):\n")[1]
    assert f'{answers} line 3: the key has no sheet "S09"' in said
    assert f"{answers} line 4: sheet S01 has no question 9z" in said
    assert f"{answers} line 5: no student named" in said
    unknown = [(r["student"], r["sheet"], r["question"], r["given"]) for r in
               results(Path(answers).parent) if r["verdict"] == "unknown"]  # fmt: skip
    assert unknown == [
        ("Ann", "S09", "1a", "-4"),
        ("Ann", "S01", "9z", "1"),
        ("", "S01", "1b", "3"),
    ]


def test_a_named_sheet_is_marked_for_its_student_and_one_not_handed_in_is_all_missing(
    files, capsys
):
    def name_sheets(k):
        second = copy.deepcopy(k["sheets"][0])
        k["sheets"][0]["student"], second["sheet"], second["student"] = "王芳", "S02", "Li Lei"
        k["sheets"].append(second)

    key_path, answers = files(
        HEADER + "王芳,S01,1a,-4\nBo,S01,1b,3\n", key=with_changes(name_sheets)
    )
    status, out, _ = check(capsys, key_path, answers)
    assert status == 0
    assert f"{answers} line 3: sheet S01 is 王芳's, answered by Bo" in out
    got = verdicts(Path(answers).parent)
    assert got[("Bo", "1b")] == ("3", "right")  # still marked: the sheet's key is known
    assert {got[("Li Lei", q)] for q in ("1a", "1b", "2a")} == {("", "missing")}
    assert next(line for line in out.splitlines() if line.startswith("Li Lei")).split()[2] == "S02"


def test_a_row_given_twice_is_reported_and_the_later_one_counts(files, capsys):
    key_path, answers = files(HEADER + "Ann,S01,1a,4\nAnn,S01,1A,-4\n")
    status, out, _ = check(capsys, key_path, answers)
    assert f"{answers} line 3: Ann gave S01 1a twice ({answers} line 2): this row counts" in out
    assert verdicts(Path(answers).parent)[("Ann", "1a")] == ("-4", "right")


def test_several_answer_files_are_marked_together(tmp_path, files, capsys):
    key_path, first = files(HEADER + "Ann,S01,1a,-4\n")
    second = tmp_path / "bo.csv"
    second.write_text(HEADER + "Bo,S01,1a,-3\n", encoding="utf-8")
    out_dir = tmp_path / "marked"
    assert check(capsys, key_path, first, second, "--out", out_dir)[0] == 0
    got = verdicts(out_dir)
    assert got[("Ann", "1a")][1] == "right" and got[("Bo", "1a")][1] == "wrong"


def test_results_html_escapes_what_students_typed(files, capsys):
    key_path, answers = files(HEADER + "<script>alert(1)</script>,S01,1a,<b>4</b>\n")
    assert check(capsys, key_path, answers)[0] == 0
    page = (Path(answers).parent / "results.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;4&lt;/b&gt;" in page and '<html lang="en">' in page


def test_results_csv_never_hands_a_spreadsheet_a_formula(files, capsys):
    key_path, answers = files(HEADER + '=1+1,S01,1a,"=HYPERLINK(""http://x"",""4"")"\n'
                              "@Bo,S01,1a,-4\n+Cy,S01,1a,+4\n")  # fmt: skip
    assert check(capsys, key_path, answers)[0] == 0
    got = {r["student"]: r["given"] for r in results(Path(answers).parent) if r["question"] == "1a"}
    assert got == {"'=1+1": '\'=HYPERLINK("http://x","4")', "'@Bo": "-4", "'+Cy": "+4"}
    page = (Path(answers).parent / "results.html").read_text(encoding="utf-8")
    assert "<td>=1+1</td>" in page  # the page shows what was written


# ---- Files that are not right, and exit codes -----------------------------------------------


@pytest.mark.parametrize(
    "text, said",
    [
        ('{"format": "chainrule-worksheet-key", "version": 1, "sheets": [', "is not JSON (line 1"),
        ("student,sheet,question,answer\n", "is not JSON (line 1, column 1"),
        ('{"format": "something-else", "version": 1}',
         'is not a chainrule answer key: its format is "something-else", not '
         '"chainrule-worksheet-key"'),
        ('[1, 2]', "is not a chainrule answer key: its format is null"),
    ],
)  # fmt: skip
def test_a_corrupt_or_wrong_key_is_one_line_and_nothing_is_written(files, capsys, text, said):
    key_path, answers = files(HEADER + "Ann,S01,1a,-4\n")
    Path(key_path).write_text(text, encoding="utf-8")
    status, out, err = check(capsys, key_path, answers)
    assert (status, out) == (1, "")
    assert err.startswith(f"chainrule: {key_path} {said}") and err.count("\n") == 1
    assert not (Path(answers).parent / "results.csv").exists()


@pytest.mark.parametrize(
    "change, said",
    [
        (lambda k: k.update(version=2), " is a version 2 key; this chainrule reads version 1"),
        (lambda k: k.update(tolerance=-0.1), ": tolerance must be a number >= 0, got -0.1"),
        (lambda k: k.update(tolerance="0.01"), ': tolerance must be a number >= 0, got "0.01"'),
        (lambda k: k.update(sheets=[]), ": sheets must be a list of sheets"),
        (lambda k: k["sheets"][0].update(sheet=""), ': sheets[0].sheet must be the sheet\'s name'),
        (lambda k: k["sheets"].append(copy.deepcopy(k["sheets"][0])),
         ': sheets[1].sheet "S01" is there twice'),
        (lambda k: k["sheets"][0]["exercises"][0]["questions"][1].update(answer="3"),
         ': sheets[0].exercises[0].questions[1].answer must be a number, got "3"'),
        (lambda k: k["sheets"][0]["exercises"][0]["questions"][1].update(answer=True),
         ": sheets[0].exercises[0].questions[1].answer must be a number, got true"),
        (lambda k: k["sheets"][0]["exercises"][1]["questions"][0].update(id="1A"),
         ': sheets[0].exercises[1].questions[0].id "1A" is there twice'),
        (lambda k: k["sheets"][0]["exercises"][0].pop("questions"),
         ": sheets[0].exercises[0].questions must be a list"),
        (lambda k: k["sheets"][0].update(exercises=[]), ": sheets[0].exercises ask no questions"),
    ],
)  # fmt: skip
def test_a_key_of_the_wrong_shape_says_where(files, capsys, change, said):
    key_path, answers = files(HEADER + "Ann,S01,1a,-4\n", key=with_changes(change))
    status, out, err = check(capsys, key_path, answers)
    assert (status, out) == (1, "")
    assert err.startswith(f"chainrule: {key_path}{said}") and err.count("\n") == 1
    assert not (Path(answers).parent / "results.csv").exists()


def test_answers_without_the_header_are_refused_before_anything_is_written(files, capsys):
    key_path, answers = files("Ann,S01,1a,-4\nBo,S01,1a,4\n")
    status, out, err = check(capsys, key_path, answers)
    assert (status, out) == (1, "")
    assert err == (
        f"chainrule: {answers} has no header row student,sheet,question,answer "
        '(its first line is "Ann,S01,1a,-4")\n'
    )
    assert not (Path(answers).parent / "results.csv").exists()


def test_a_line_is_counted_as_an_editor_counts_it_past_a_quoted_line_break(files, capsys):
    key_path, answers = files(HEADER + '"Ann\nSmith",S01,1a,-4\nBo,S09,1a,-4\n')
    status, out, _ = check(capsys, key_path, answers)
    assert status == 0 and f'{answers} line 4: the key has no sheet "S09"' in out


def test_a_field_too_big_for_csv_is_one_line_not_a_traceback(files, capsys):
    key_path, answers = files(HEADER + 'Ann,S01,1a,"' + "4" * 200_000 + '"\n')
    status, out, err = check(capsys, key_path, answers)
    assert (status, out) == (1, "")
    assert err.startswith(f"chainrule: {answers} line 2 is not CSV: field larger than")


def test_answers_that_are_not_utf8_say_how_to_save_them(files, capsys):
    key_path, answers = files("")
    Path(answers).write_bytes((HEADER + "Zoë,S01,1a,-4\n").encode("latin-1"))
    status, _, err = check(capsys, key_path, answers)
    assert status == 1 and err.startswith(f"chainrule: {answers} is not UTF-8 text (byte 32)")


def test_missing_files_and_an_unwritable_out_are_exit_1_and_usage_mistakes_exit_2(
    tmp_path, files, capsys
):
    key_path, answers = files(HEADER + "Ann,S01,1a,-4\n")
    status, _, err = check(capsys, tmp_path / "nope.json", answers)
    assert (
        status == 1
        and err == f"chainrule: cannot read {tmp_path / 'nope.json'}: No such file or directory\n"
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    status, out, err = check(capsys, key_path, answers, "--out", blocker)
    assert status == 1 and out == "" and err.startswith("chainrule: cannot write the results: ")
    with pytest.raises(SystemExit) as done:  # argparse's own exit: ANSWERS.csv is required
        main(["check", key_path])
    assert done.value.code == 2 and "ANSWERS.csv" in capsys.readouterr().err


def test_help_names_the_columns(capsys):
    with pytest.raises(SystemExit) as done:
        main(["check", "--help"])
    assert done.value.code == 0
    said = capsys.readouterr().out
    assert "student,sheet,question,answer" in said and "--out" in said


# ---- Chinese -------------------------------------------------------------------------------

# Words of 3+ Latin letters in Chinese output that are not names, ids or file names.
LATIN = re.compile(r"[A-Za-z][A-Za-z_']{2,}")


def test_in_chinese_the_tables_and_page_are_chinese_and_the_csv_stays_machine_readable(
    files, capsys
):
    text = HEADER + "王芳,S01,1a,-4\n王芳,S01,1b,4\n王芳,S01,2a,abc\nAnn,S09,1a,1\n"
    key_path, answers = files(text)
    status = main(["--lang", "zh-CN", "check", key_path, answers])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert (
        lines[0] == f"已按 {key_path} 批改 1 名学生的作答：1 张练习单，共 3 道题，允许误差 0.01。"
    )
    assert lines[2].split() == ["学生", "练习单", "得分", "对", "错", "未答", "不是数"]
    assert lines[3].split() == ["王芳", "S01", "1/3", "1", "1", "0", "1"]
    assert lines[5].split() == ["题目", "所求", "答对"]
    assert f'{answers} 第 5 行：标准答案里没有练习单 "S09"' in out
    assert "需要看一下（这些行也在 results.csv 里，标为 unknown）：" in out
    folder = Path(answers).parent
    assert lines[-1] == f"已写出 {folder / 'results.csv'} 和 {folder / 'results.html'}"
    # No English sentence left: drop the paths, the names and ids, and the kept words.
    prose = out.replace(key_path, "").replace(answers, "").replace(str(Path(answers).parent), "")
    prose = re.sub(r"\S+\.(csv|html)|\bAnn\b|\bS0\d\b|\bunknown\b", "", prose)
    assert LATIN.findall(prose) == []
    rows = results(Path(answers).parent)
    assert list(rows[0]) == ["student", "sheet", "question", "asks", "given", "expected", "verdict"]
    assert [r["verdict"] for r in rows] == ["right", "wrong", "malformed", "unknown"]
    page = (Path(answers).parent / "results.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<th>判定</th>" in page and "<td>不是数</td>" in page
    assert "key.json 的批改结果" in page


def test_a_bad_key_is_said_in_chinese(files, capsys):
    key_path, answers = files(
        HEADER + "Ann,S01,1a,-4\n", key=with_changes(lambda k: k.update(version=3))
    )
    assert main(["--lang", "zh-CN", "check", key_path, answers]) == 1
    assert capsys.readouterr().err == (
        f"chainrule: {key_path} 是第 3 版的标准答案文件；这个 chainrule 只读第 1 版\n"
    )


# ---- The installed command ------------------------------------------------------------------


def run_installed(*args, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LANG")}
    return subprocess.run(
        [str(CHAINRULE), "check", *map(str, args)], capture_output=True, text=True,
        env={**environ, "LANGUAGE": "en", **env}, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def test_the_installed_command_marks_a_class_and_speaks_the_environments_language(files):
    key_path, answers = files(HEADER + "王芳,S01,1a,-4\nAnn,S01,1a,-3\n", bom=True)
    done = run_installed(key_path, answers)
    assert done.returncode == 0 and done.stderr == ""
    assert "王芳" in done.stdout and "Marked 2 students' answers" in done.stdout
    assert verdicts(Path(answers).parent)[("Ann", "1a")] == ("-3", "wrong")
    zh = run_installed(key_path, answers, LANGUAGE="", LC_ALL="", LANG="zh_CN.UTF-8")
    assert zh.returncode == 0 and "批改 2 名学生的作答" in zh.stdout
    bad = run_installed(answers, answers)  # the answers given as the key
    assert bad.returncode == 1 and bad.stdout == "" and "Traceback" not in bad.stderr
    assert (
        bad.stderr.startswith(f"chainrule: {answers} is not JSON") and bad.stderr.count("\n") == 1
    )


def test_the_question_table_shows_what_each_asks_only_where_every_sheet_asks_the_same(
    files, capsys
):
    _, out, _ = check(capsys, *files(HEADER + "Li,S01,1a,-4\n"))
    assert re.search(r"^Question\s+Asks\s+Got it right$", out, re.M)
    assert re.search(r"^1a\s+∂f/∂x\s+1/1$", out, re.M)

    def two_sheets(key):  # students' own variants: each question asks another thing on S02
        other = copy.deepcopy(key["sheets"][0])
        other["sheet"] = "S02"
        for exercise in other["exercises"]:
            for question in exercise["questions"]:
                question["asks"] = "∂f/∂w"
        key["sheets"].append(other)

    answers = HEADER + "Li,S01,1a,-4\nWang,S02,1a,-4\n"
    _, out, _ = check(capsys, *files(answers, key=with_changes(two_sheets)))
    assert re.search(r"^Question\s+Got it right$", out, re.M) and "Asks" not in out
    assert re.search(r"^1a\s+2/2$", out, re.M)
