"""Presets and CSV reading for the playground."""

from __future__ import annotations

import numpy as np
import pytest

from generative.toydata import MAX_ROWS, PRESETS, preset, read_points_csv


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_are_finite_2d_and_seeded(name):
    points = preset(name, seed=3)
    assert points.ndim == 2 and points.shape[1] == 2 and len(points) >= 100
    assert np.isfinite(points).all()
    np.testing.assert_array_equal(points, preset(name, seed=3))
    assert not np.array_equal(points, preset(name, seed=4))


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match="blobs"):
        preset("spirals")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x,y\n1,2\n3,4\n", [[1, 2], [3, 4]]),
        ("1,2\n3,4\n", [[1, 2], [3, 4]]),
        ("y,label,x\n2,a,1\n", [[1, 2]]),
        ("a;b\n1;2\n", [[1, 2]]),
        ("x\ty\n1.5\t-2e3\n", [[1.5, -2000]]),
        (" x , y \n 1 , 2 \n\n3,4\n", [[1, 2], [3, 4]]),
    ],
)
def test_reads_good_csv(tmp_path, text, expected):
    path = tmp_path / "points.csv"
    path.write_text(text)
    np.testing.assert_array_equal(read_points_csv(path), np.array(expected, dtype=float))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\n\n\n", "Could not read"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "Could not read"),
        (b"x\n1\n2\n", "two columns"),
        (b"x,y\n", "no points"),
        (b"x,y\n1,abc\n", "Line 2, column 2 ('abc') is not a number"),
        (b"x,y\n1,\n", "Line 2, column 2 is missing"),
        (b"x,y\n1,2\nnan,3\n", "Line 3, column 1 ('nan') is not a number"),
        (b"x,y\n1,inf\n", "is infinite"),
        (b"x,y\n1,2,3,4\n", "Could not read"),
    ],
)
def test_bad_csv_says_what_to_fix(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_points_csv(path)


def test_too_many_rows_are_refused(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + "1,2\n" * (MAX_ROWS + 1))
    with pytest.raises(ValueError, match="limit is 50,000"):
        read_points_csv(path)


def test_oversized_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_bytes(b"1,2\n" + b" " * (6 * 1024 * 1024))
    with pytest.raises(ValueError, match="limit is 5 MB"):
        read_points_csv(path)
