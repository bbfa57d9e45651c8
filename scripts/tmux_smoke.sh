#!/usr/bin/env bash
# Smoke test of the installed `misfortune` TUI, driven by keystrokes in a detached tmux session.
#
#   scripts/tmux_smoke.sh            (uses $MISFORTUNE_BIN, else `misfortune` on PATH)
#
# 1. play checkout-oom-leak at 60x: the briefing, Enter -> the console, time runs, `a` acknowledges,
#    ctrl+g + y ends the incident -> the debrief; q leaves.
# 2. play again: ctrl+q + y quits mid-incident and prints the `misfortune resume` hint;
#    `misfortune resume` reopens that session in the console (paused); ctrl+q + y leaves again.
# Exits non-zero, printing the captured screen, when a screen does not show up.
set -euo pipefail

BIN="${MISFORTUNE_BIN:-$(command -v misfortune || true)}"
if [[ -z "$BIN" ]]; then
  echo "tmux_smoke: no misfortune command (set MISFORTUNE_BIN or install the package)" >&2
  exit 2
fi
command -v tmux >/dev/null || { echo "tmux_smoke: tmux is not installed" >&2; exit 2; }

SESSION="misfortune-smoke-$$"
HOME_DIR="$(mktemp -d)"
export MISFORTUNE_HOME="$HOME_DIR"
cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$SESSION"; }

# wait_for TEXT [SECONDS]: poll the screen until TEXT appears, or fail showing the screen.
wait_for() {
  local text="$1" limit="${2:-15}" waited=0
  while ! screen | grep -qF -- "$text"; do
    sleep 0.25
    waited=$((waited + 1))
    if ((waited > limit * 4)); then
      echo "tmux_smoke: FAILED waiting for '$text'; the screen was:" >&2
      screen >&2 || true
      exit 1
    fi
  done
  echo "tmux_smoke: ok: $text"
}

keys() { tmux send-keys -t "$SESSION" "$@"; sleep 0.3; }

start() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  tmux new-session -d -s "$SESSION" -x 120 -y 40 \
    "env MISFORTUNE_HOME='$HOME_DIR' TERM=xterm-256color $*; echo '[exited' \$?']'; sleep 30"
}

# --- 1. briefing -> console -> debrief ---------------------------------------------------------
start "$BIN" play checkout-oom-leak --seed 1 --speed 60
wait_for "Rules of the exercise"
wait_for "Enter starts the clock"
keys Enter
wait_for "60x"
wait_for "Pager"
sleep 4  # four minutes of simulated time: the OOM kills page us
keys a
keys C-g
wait_for "End the incident now?"
keys y
wait_for "The hidden truth" 20
wait_for "grade"
keys q
wait_for "[exited 0]"

# --- 2. quit mid-incident, then resume ---------------------------------------------------------
start "$BIN" play checkout-oom-leak --seed 2 --speed 60
wait_for "Rules of the exercise"
keys Enter
wait_for "Pager"
sleep 1
keys C-q
wait_for "Leave the incident?"
keys y
wait_for "misfortune resume"
wait_for "[exited 0]"

start "$BIN" resume
wait_for "PAUSED"
keys C-q
wait_for "Leave the incident?"
keys y
wait_for "[exited 0]"

echo "tmux_smoke: all screens seen"
