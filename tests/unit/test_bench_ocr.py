"""The OCR bench's pure helpers: arguments, page mix, keys, assignment, ratios and the table.

The measurement itself needs servers and minutes; what decides how it is read must not."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bench.ocr import (
    GROUP,
    BenchPage,
    Machine,
    Measurement,
    Options,
    Run,
    Tally,
    assigned_partitions,
    assignment_settled,
    balanced_page_ids,
    busy_share,
    capacity,
    command_report,
    descendants,
    format_per_page,
    format_table,
    mean_timings,
    others_share,
    parse_args,
    parse_cpu_line,
    parse_proc_stat,
    partition_of,
    ratio,
    report,
    run_file_code,
    tesseract_env,
    variant_mix,
    verdict,
    worker_env,
)
from shared.errors import InvalidFileCode
from tests.support.corpus import VARIANT_CLASSES

pytestmark = pytest.mark.unit


def test_defaults_fit_a_two_core_machine() -> None:
    options = parse_args([])
    assert options.pages == 12
    assert options.workers == (1, 2)
    assert options.partitions == 6
    assert options.warmup is True
    assert options.timeout >= 180


def test_arguments_are_read_and_worker_counts_deduplicated_in_order() -> None:
    options = parse_args(["--pages", "4", "--workers", "2", "1", "2", "--no-warmup"])
    assert options.pages == 4
    assert options.workers == (2, 1)
    assert options.warmup is False
    assert options.timeout == 180  # the floor of the generous deadline
    assert parse_args(["--pages", "20"]).timeout == 600
    assert parse_args(["--timeout", "5"]).timeout == 5


@pytest.mark.parametrize("argv", [["--pages", "0"], ["--workers", "0"], ["--pages", "x"]])
def test_nonsense_arguments_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)


def test_the_mix_covers_the_preferred_faults_and_both_pages() -> None:
    available = ("clean", "rot90", "noise", "stains", "seal_signature", "jpeg_input", "dpi200")
    mix = variant_mix(12, available)
    assert len(mix) == 12
    assert {variant for variant, _ in mix} == set(available)
    assert mix[0] == ("clean", 0)
    assert {index for _, index in mix} == {0, 1}
    assert mix[:6] == variant_mix(6, available)  # more pages extend, never reshuffle


def test_the_mix_falls_back_to_whatever_is_available() -> None:
    assert [v for v, _ in variant_mix(3, ("only",))] == ["only"] * 3
    with pytest.raises(ValueError, match="no variant"):
        variant_mix(1, ())


def test_page_ids_are_spread_evenly_over_the_partitions() -> None:
    ids = balanced_page_ids(12, 6)
    assert len(set(ids)) == 12
    assert [partition_of(str(page_id), 6) for page_id in ids] == [i % 6 for i in range(12)]


def test_partition_matches_kafkas_murmur2() -> None:
    # Known values of the Java client's Utils.murmur2 (positive part), modulo 1000
    assert partition_of("21", 1000) == (-973932308 & 0x7FFFFFFF) % 1000
    assert partition_of("foobar", 1000) == (-790332482 & 0x7FFFFFFF) % 1000


def test_worker_environment_drops_foreign_sohoa_settings() -> None:
    env = worker_env(
        {"PATH": "/bin", "SOHOA_OCR_PROCESSES": "4", "SOHOA_KAFKA_PARTITIONS": "1"},
        bootstrap="127.0.0.1:9",
        storage_root=Path("/tmp/objects"),
        port=8123,
        partitions=6,
    )
    assert env == {
        "PATH": "/bin",
        "SOHOA_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
        "SOHOA_KAFKA_PARTITIONS": "6",
        "SOHOA_STORAGE_BACKEND": "local",
        "SOHOA_STORAGE_ROOT": "/tmp/objects",
        "SOHOA_OCR_PORT": "8123",
    }


def test_tesseract_default_threads_means_no_limit_at_all() -> None:
    base = {"PATH": "/bin", "OMP_THREAD_LIMIT": "3"}
    assert tesseract_env(base, None) == {"PATH": "/bin"}
    assert tesseract_env(base, 1) == {"PATH": "/bin", "OMP_THREAD_LIMIT": "1"}


METRICS = f"""# HELP sohoa_consumer_assigned_partitions Partitions this member holds
# TYPE sohoa_consumer_assigned_partitions gauge
sohoa_consumer_assigned_partitions{{group="other"}} 9.0
sohoa_consumer_assigned_partitions{{group="{GROUP}"}} 3.0
"""


def test_assigned_partitions_are_read_for_the_ocr_group_only() -> None:
    assert assigned_partitions(METRICS) == 3
    assert assigned_partitions(METRICS, "other") == 9
    assert assigned_partitions("# nothing yet\n") is None


@pytest.mark.parametrize(
    ("counts", "settled"),
    [
        ([6], True),
        ([3, 3], True),
        ([4, 2], True),
        ([6, 0], False),  # the second worker has not joined yet
        ([6, None], False),
        ([6, 3], False),  # a stale gauge during a rebalance
        ([2, 2, 2, 0, 0, 0, 0], False),
        ([1, 1, 1, 1, 1, 1, 0], True),  # more workers than partitions: one idles
    ],
)
def test_assignment_is_settled_only_when_the_group_holds_every_partition(
    counts: list[int | None], settled: bool
) -> None:
    assert assignment_settled(counts, 6) is settled


def test_run_file_codes_are_valid_and_distinct() -> None:
    codes = {
        run_file_code("AB12", 1),
        run_file_code("AB12", 2),
        run_file_code("AB12", 1, warmup=True),
    }
    assert len(codes) == 3
    with pytest.raises(InvalidFileCode):
        run_file_code("bad/id", 1)


def test_ratio_of_nothing_is_none() -> None:
    assert ratio(2.0, 1.0) == 2.0
    assert ratio(1.0, 0.0) is None


def test_mean_timings_add_what_the_stages_do_not_explain() -> None:
    means = mean_timings(
        [
            {"clean": 0.5, "recognise": 1.0, "assemble": 0.1, "total": 1.8},
            {"clean": 0.7, "recognise": 1.2, "assemble": 0.1, "total": 2.2},
        ]
    )
    assert means == pytest.approx(
        {"clean": 0.6, "recognise": 1.1, "assemble": 0.1, "total": 2.0, "other": 0.2}
    )
    assert mean_timings([]) == {}
    assert mean_timings([{"total": 1.0}]) == {"total": 1.0}


def test_the_table_shows_rates_and_ratios_against_the_reference() -> None:
    reference = Measurement("tesseract", 12, 24.0, others=0.031)
    single = Measurement("one", 12, 12.0)
    rows = [reference, single, Measurement("sohoa, 2 workers", 10, 5.0, expected=12)]
    lines = format_table(rows, [reference, single]).splitlines()
    header = ["pages", "seconds", "pages/s", "vs", "tesseract", "vs", "one", "other", "CPU"]
    assert lines[0].split() == header
    assert lines[1].split() == ["tesseract", "12", "24.00", "0.500", "1.00×", "0.50×", "3%"]
    assert lines[2].split()[-4:] == ["1.000", "2.00×", "1.00×", "n/a"]
    assert lines[3].split()[-6:] == ["10/12", "5.00", "2.000", "4.00×", "2.00×", "n/a"]
    assert len({len(line) for line in lines}) == 1  # columns line up
    assert rows[2].missing == 2


def test_verdict_says_plainly_whether_a_target_was_met() -> None:
    assert verdict("scale", 1.85, 1.8).endswith("(target ≥ 1.8×) MET")
    assert verdict("scale", 1.2, 1.8).endswith("NOT MET")
    assert "not measured" in verdict("scale", None, 1.8)


def test_the_tally_counts_only_this_runs_pages() -> None:
    page = uuid.uuid4()
    tally = Tally("BENCH.X.W1", {page})
    assert not tally.done
    tally.failed[page] = "ocr.unreadable-image: x"
    assert tally.done


def test_cpu_busy_share_counts_idle_and_iowait_as_idle() -> None:
    before = parse_cpu_line("cpu  100 0 50 800 50 0 0 0 0 0")
    after = parse_cpu_line("cpu  200 0 100 850 50 0 0 0 0 0")
    assert before == (150, 1000)
    assert busy_share(before, after) == pytest.approx(150 / 200)
    assert busy_share(before, before) is None


def test_capacity_is_two_on_two_real_cores_and_one_on_a_shared_one() -> None:
    assert capacity(1.0, 1.0, 2) == 2.0
    assert capacity(1.0, 2.0, 2) == 1.0
    assert capacity(1.0, 0.0, 2) is None


def test_machine_notes_warn_about_a_busy_or_shared_cpu() -> None:
    quiet = Machine(2, "0.10", 0.02, 1.95, 1.9).notes()
    assert not any(line.startswith("NOTE") for line in quiet)
    shared = Machine(2, "0.10", 0.02, 1.95, 1.1).notes()
    assert next(line for line in shared if "caps the worker scaling" in line).startswith(
        "NOTE: at the end, 2 pages at once ran only 1.10×"
    )
    busy = Machine(2, "1.90", 0.9, 1.9, None).notes()
    assert any("noisy" in line for line in busy)


def test_the_report_states_both_targets_and_missing_pages() -> None:
    options = parse_args([])
    pages = [BenchPage("clean", Path("a.png"), "image/png", 10, 10, 300)] * 12
    references = [
        Measurement("tesseract (default threads)", 12, 24.0),
        Measurement("tesseract (1 thread)", 12, 18.0),
    ]
    timings = {"clean": 0.5, "recognise": 1.0, "assemble": 0.1, "total": 1.7, "other": 0.1}
    runs = {
        1: Run(Measurement("sohoa, 1 worker", 12, 12.0, 12, timings), {}),
        2: Run(Measurement("sohoa, 2 workers", 11, 7.0, 12, timings), {}),
    }
    text = report(options, pages, references, runs, Machine(2, "0.1", 0.0, 1.9, 1.9))
    assert "2 workers vs 1 worker: 1.57× (target ≥ 1.8×) NOT MET" in text
    assert "1 worker vs tesseract (default threads): 2.00× (target ≥ 1.5×) MET" in text
    assert "sohoa, 2 workers: 1 page(s) MISSING" in text
    assert "outside the handler" in text
    assert isinstance(options, Options)


def test_per_page_lines_show_each_stage_and_mark_what_is_missing() -> None:
    lines = format_per_page(
        [
            ("clean p0", {"clean": 0.5, "recognise": 1.0, "assemble": 0.1, "total": 1.7}),
            ("rot90 p1", {"total": 3.0}),
        ]
    ).splitlines()
    assert lines[0].split() == ["page", "clean", "recognise", "assemble", "total"]
    assert lines[1].split() == ["clean", "p0", "0.50", "1.00", "0.10", "1.70"]
    assert lines[2].split() == ["rot90", "p1", "-", "-", "-", "3.00"]
    assert format_per_page([]) == "no pages"


def test_proc_stat_lines_are_read_past_a_command_name_with_spaces() -> None:
    line = "4242 (tesseract (x) y) S 77 4242 1 0 -1 4194304 1 0 0 0 120 30 5 2 20 0 1 0 9 1 1"
    assert parse_proc_stat(line) == (77, 120 + 30 + 5 + 2)


def test_descendants_follow_the_whole_tree_and_nothing_else() -> None:
    processes = {10: (1, 0), 11: (10, 0), 12: (11, 0), 13: (11, 0), 20: (1, 0), 21: (20, 0)}
    assert descendants(processes, 10) == {11, 12, 13}
    assert descendants(processes, 99) == set()


def test_others_share_is_what_the_machine_did_beyond_our_own_processes() -> None:
    # 10 s window at 100 ticks/s on 2 cores = 2000 ticks; busy 1500, ours 1000
    assert others_share(1500, 1000, 1000, 2) == pytest.approx(0.25)
    assert others_share(900, 1000, 1000, 2) == 0.0  # rounding never goes negative
    assert others_share(1, 0, 0, 2) is None


def test_the_command_report_gives_per_page_times_and_the_ratio_to_paired_tesseract() -> None:
    pair = Measurement("tesseract (1 thread, 2 at a time)", 20, 24.0)
    command = Measurement("sohoa ocr --jobs 2", 20, 30.0, expected=20)
    text = command_report(pair, command)
    assert "1.20 s/page" in text
    assert "1.50 s/page" in text
    assert "0.80× (target ≥ 1.0×) NOT MET" in text
    assert "1.25× (target ≥ 1.0×) MET" in command_report(pair, Measurement("s", 20, 19.2))


def test_a_sparse_page_in_the_mix_is_always_a_first_page() -> None:
    mix = variant_mix(40, VARIANT_CLASSES)
    assert {page for variant, page in mix if "sparse" in variant} == {0}
    assert {page for _, page in mix} == {0, 1}
