"""Test reports as JUnit XML, the format CI systems read: one testsuite per ruleset version,
one testcase per case, each failure's message the differences in words.

An invalid tests file is an `error` testcase named after the file, so a CI run shows it.
No timings: the report of one run is the same as the next's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from .testing import ERROR, FAILED, TestReport


def junit_xml(reports: Iterable[TestReport]) -> str:
    """The reports as a JUnit XML document (`<testsuites>`), as text."""
    suites = ET.Element("testsuites", name="tfp test")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for report in reports:
        invalid = sorted({p.file for p in report.problems})
        counts = {
            "tests": len(report.results) + len(invalid),
            "failures": report.failed,
            "errors": report.errors + len(invalid),
        }
        suite = ET.SubElement(
            suites, "testsuite", name=report.ruleset, **{k: str(v) for k, v in counts.items()}
        )
        for key, value in counts.items():
            totals[key] += value
        if report.coverage is not None:
            properties = ET.SubElement(suite, "properties")
            ET.SubElement(
                properties,
                "property",
                name="coverage",
                value=f"{report.coverage.percent:.1f}",
            )
        for result in report.results:
            case = ET.SubElement(
                suite,
                "testcase",
                name=result.case.name,
                classname=report.ruleset,
                file=result.case.file,
                line=str(result.case.line),
            )
            if result.outcome in (FAILED, ERROR):
                tag = "failure" if result.outcome == FAILED else "error"
                element = ET.SubElement(case, tag, message=result.messages[0], type=tag)
                element.text = "\n".join(result.messages)
        for file in invalid:
            case = ET.SubElement(suite, "testcase", name=file, classname=report.ruleset, file=file)
            problems = [str(p) for p in report.problems if p.file == file]
            element = ET.SubElement(
                case, "error", message=f"invalid tests file: {problems[0]}", type="invalid"
            )
            element.text = "\n".join(problems)
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
