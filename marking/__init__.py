"""Marking (阅卷): objective auto-scoring, double marking with third marks and arbitration, a safe
concurrent marking queue, progress, and final scores traceable to their marks.

Pure rules live in `marking.rules` and `marking.objective`; database functions in
`marking.responses` (ingest), `marking.queue` (a package: opening, registration, leasing,
submitting, views), `marking.progress` and `marking.finalise`; `marking.simulate` drives the queue
with simulated markers.
"""
from marking.finalise import FinaliseReport, NotFinished, finalise_scores, score_trace, scores_frame
from marking.objective import score_objective
from marking.policy import MarkingPolicy, PolicyError, load_policy
from marking.progress import marker_progress, marking_progress, progress_markdown
from marking.queue import (AlreadyMarked, Lease, LeaseLost, MarkerRef, NotFound, OpenReport, QueueError,
                           SubmitResult, current_lease, get_marker, lease_next, marker_by_token, open_marking,
                           reclaim_expired_leases, register_markers, release_lease, submit_mark)
from marking.responses import IngestReport, ingest_responses, read_response_file
from marking.rules import InvalidScores, ItemStandard, Resolution, resolve_script, round_to_step

__all__ = [
    "AlreadyMarked", "FinaliseReport", "IngestReport", "InvalidScores", "ItemStandard", "Lease", "LeaseLost",
    "MarkerRef", "MarkingPolicy", "NotFinished", "NotFound", "OpenReport", "PolicyError", "QueueError", "Resolution",
    "SubmitResult", "current_lease", "finalise_scores", "get_marker", "ingest_responses", "lease_next",
    "load_policy", "marker_by_token", "marker_progress", "marking_progress", "open_marking", "progress_markdown",
    "read_response_file", "reclaim_expired_leases", "register_markers", "release_lease", "resolve_script",
    "round_to_step", "score_objective", "score_trace", "scores_frame", "submit_mark",
]
