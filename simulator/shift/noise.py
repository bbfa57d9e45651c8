"""What a shift is made of between incidents: the texts of noise alerts, false-positive pages and tickets.

Each entry is (service, title). The plan draws from these lists with its own random stream; the texts
are modelled on what on-call engineers see on a quiet night (DOMAIN.md: noise, red herrings, tickets).
"""

from __future__ import annotations

NOISE_ALERTS: tuple[tuple[str, str], ...] = (
    ("batch-etl", "BatchJobSlow: nightly ETL 20 % slower than its 7-day median"),
    ("search", "HighGCPause: search JVM old-gen pauses above 300 ms"),
    ("cdn", "OriginLatencyWarning: origin p95 above 400 ms in one PoP"),
    ("mail", "QueueBacklog: outbound mail queue above 2,000 messages"),
    ("metrics", "ScrapeSlow: 3 % of scrapes took longer than 10 s"),
    ("auth", "CertRenewalPending: staging certificate renews in 25 days"),
    ("k8s", "NodeNotReadyFlap: node pool-b-17 NotReady for 40 s, then Ready"),
    ("backup", "BackupDurationHigh: database backup took 55 min (usual 40)"),
)
"""Warnings that show on the alert list but page nobody."""

FALSE_POSITIVES: tuple[tuple[str, str], ...] = (
    ("batch-etl", "DiskSpaceLow: /var/tmp 92 % on etl-3 (cleaned by the job itself at the end)"),
    ("synthetics", "ProbeFailed: the synthetic checkout probe failed twice from one probe region"),
    ("k8s", "PodCrashLooping: a canary pod of an internal tool restarted 4 times"),
    ("dns", "ResolverLatency: p99 of an internal resolver above 200 ms for one scrape"),
    ("queue", "ConsumerLagHigh: the analytics consumer lags 5 min behind during the nightly compaction"),
)
"""Pages that need nothing done: every one counts against the false-positive rate."""

TICKETS: tuple[tuple[str, str], ...] = (
    ("payments", "Intermittent 1 % timeouts from the fraud vendor in the EU region; customers unaffected"),
    ("frontend", "Error budget for the quarter at 62 %: review the SLO burn with the team"),
    ("search", "Reindex job failed once last night and succeeded on retry"),
    ("auth", "Rotate the staging OAuth client secret before it expires in 21 days"),
    ("storage", "Bucket lifecycle rule missing on the logs-archive bucket"),
    ("checkout", "Flaky health check on one checkout pod (reported by the load balancer 3 times today)"),
)
"""Low-urgency work that arrives as P3 tickets, not pages."""
