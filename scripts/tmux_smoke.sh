#!/usr/bin/env bash
# Smoke test of the installed `misfortune` TUI, driven by keystrokes in a detached tmux session.
#
#   scripts/tmux_smoke.sh            (uses $MISFORTUNE_BIN, else `misfortune` on PATH)
#
# 1. play checkout-oom-leak at 60x as a trainee would, at 120x40 and then at 80x24: the briefing, Enter -> the console; the page
#    comes in, `a` acknowledges; `x` opens the actions, arrows reach rollback_deploy, Enter fills its
#    form, Enter opens the service choice, typing "checkout" and Enter picks it, ctrl+s rolls back;
#    once the pager shows the alert resolved, the resolve form (ctrl+s) ends it -> the debrief says
#    "Resolved"; q leaves.
# 2. play again: ctrl+q + y quits mid-incident and prints the `misfortune resume` hint;
#    `misfortune resume` reopens that session in the console (paused); ctrl+q + y leaves again.
# 3. shadow checkout-oom-leak at 60x: before each of the expert's 7 moves the playback pauses; the
#    digit of the expert's move is picked (the trap "restart checkout (all at once)" at the rollback),
#    its reason shows, `n` continues; the shadow debrief says 6 of 7 and names the trap; q leaves.
# Exits non-zero, printing the captured screen, when a screen does not show up.
#
# Every key that changes what has focus (a form, a menu, the next question) is sent only once the screen
# shows that it took effect (wait_for / wait_gone poll the screen), never after a fixed pause: CI runs the
# smoke beside two busy test workers, where a key sent on a timer reached the console before the menu it
# was meant for (the letters of "checkout" switched panels). On its own tmux server (-L), so it never
# meets another tmux user's sessions.
set -euo pipefail

BIN="${MISFORTUNE_BIN:-$(command -v misfortune || true)}"
if [[ -z "$BIN" ]]; then
  echo "tmux_smoke: no misfortune command (set MISFORTUNE_BIN or install the package)" >&2
  exit 2
fi
command -v tmux >/dev/null || { echo "tmux_smoke: tmux is not installed" >&2; exit 2; }

SESSION="misfortune-smoke-$$"
SOCKET="misfortune-smoke-$$"
tmux() { command tmux -L "$SOCKET" "$@"; }
HOME_DIR="$(mktemp -d)"
export MISFORTUNE_HOME="$HOME_DIR"
cleanup() {
  tmux kill-server 2>/dev/null || true
  rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCKET"  # the server's socket file outlives it
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$SESSION"; }

# Limits are generous (the waits poll, so they cost nothing when the screen is there): beside a busy
# test suite a screen can take several times as long as on a quiet machine.
# wait_for TEXT [SECONDS]: poll the screen until TEXT appears, or fail showing the screen.
wait_for() {
  local text="$1" limit="${2:-30}" waited=0
  while ! screen | grep -qF -- "$text"; do
    sleep 0.2
    waited=$((waited + 1))
    if ((waited > limit * 5)); then
      echo "tmux_smoke: FAILED waiting for '$text'; the screen was:" >&2
      screen >&2 || true
      exit 1
    fi
  done
  echo "tmux_smoke: ok: $text"
}

# wait_gone TEXT [SECONDS]: poll the screen until TEXT is no longer on it (a menu closed, a question answered).
wait_gone() {
  local text="$1" limit="${2:-30}" waited=0
  while screen | grep -qF -- "$text"; do
    sleep 0.2
    waited=$((waited + 1))
    if ((waited > limit * 5)); then
      echo "tmux_smoke: FAILED waiting for '$text' to go; the screen was:" >&2
      screen >&2 || true
      exit 1
    fi
  done
  echo "tmux_smoke: ok: gone: $text"
}

keys() { tmux send-keys -t "$SESSION" "$@"; sleep 0.1; }

COLS=120
ROWS=40
start() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  # Killing the last session stops the tmux server; a client arriving while it shuts down gets "server
  # exited unexpectedly", so try again a few times.
  local tries=0
  until tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
    "env MISFORTUNE_HOME='$HOME_DIR' TERM=xterm-256color $*; echo '[exited' \$?']'; sleep 30"; do
    tries=$((tries + 1))
    if ((tries >= 5)); then
      echo "tmux_smoke: tmux would not start a session" >&2
      exit 1
    fi
    sleep 0.5
  done
}

# --- 1. briefing -> console -> debrief, at 120x40 and again at 80x24 (keys only) -------------------
play_to_the_end() {
  start "$BIN" play checkout-oom-leak --seed 1 --speed 60
  wait_for "The situation"
  keys End  # the rules are below the fold at 80x24 and, since the ack SLA line, at 120x40: the briefing scrolls
  if ((ROWS >= 40)); then  # at 80x24 a rule's lines may still be cut by the footer
    wait_for "Rules of the exercise"
    wait_for "Enter starts the clock"
  fi
  wait_for "Start the incident"
  keys Enter
  wait_for "60x"
  wait_for "Pager"
  wait_for "KubePodCrashLooping" 20  # the OOM kills page us a few simulated minutes in
  keys a
  wait_for "acked"
  keys x
  wait_for "Enter fill its form"
  for _ in $(seq 18); do tmux send-keys -t "$SESSION" Down; done  # ack ... rate_limit, rollback_config, rollback_deploy (no data here: no restore_backup or resync_replica)
  sleep 0.5
  keys Enter
  wait_for "rollback_deploy  Roll a service back"
  # The form may already be on screen (built while rollback_deploy was highlighted) before Enter moves the
  # focus into it: a second Enter sent then went to the action list (CI, under load). The key line tells:
  # with the service choice focused it leads with the clock key, with the list focused with ctrl+s.
  wait_for "space Pause/resume  ^s Apply action"
  keys Enter  # the service choice opens: type to jump only once it is open (its footer says so)
  wait_for "Dismiss menu"
  tmux send-keys -t "$SESSION" -l checkout
  keys Enter
  wait_gone "Dismiss menu"
  keys C-s
  wait_for "rolling back checkout" 60
  keys g
  wait_for "resolved" 120  # the pager: the crash-loop alert resolves once the old version runs
  keys x
  keys Home
  for _ in $(seq 6); do tmux send-keys -t "$SESSION" Down; done  # ack ... note, resolve
  sleep 0.5
  keys Enter
  wait_for "Declare the incident resolved"
  # Typed only once the summary field has the focus (the key line drops the panel keys while a text
  # field has it): sent earlier, its letters reached the panel keys (r, o, l switch panels).
  wait_for "^s Apply action  ^q Quit"
  tmux send-keys -t "$SESSION" -l "rolled back checkout to v2.4.1"
  wait_for "rolled back checkout to v2.4.1"  # the summary is in its field before ctrl+s applies it
  keys C-s
  wait_for "Resolved: the fix held" 60
  wait_for "grade"
  keys q
  wait_for "[exited 0]"
}
play_to_the_end
COLS=80 ROWS=24 play_to_the_end  # the smallest supported terminal: the switcher replaces the tabs
COLS=120 ROWS=40

# --- 2. quit mid-incident, then resume ---------------------------------------------------------
start "$BIN" play checkout-oom-leak --seed 2 --speed 60
wait_for "The situation"
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

# --- 3. shadow the reference run, predicting each move ---------------------------------------------
# choose LABEL: press the digit the question shows in front of LABEL.
choose() {
  local number
  number="$(screen | grep -F ". $1" | head -1 | sed -n 's/^ *\([1-9]\)\..*/\1/p')"
  if [[ -z "$number" ]]; then
    echo "tmux_smoke: FAILED: no choice '$1'; the screen was:" >&2
    screen >&2 || true
    exit 1
  fi
  keys "$number"
}

start "$BIN" shadow checkout-oom-leak --speed 60
for label in "ack" "set severity SEV2" "hypothesis" "status update" "restart checkout (all at once)" \
  "status update" "resolve"; do
  wait_for "The expert is about to act." 60
  choose "$label"
  wait_for "Why:"
  keys n
  wait_gone "Why:"  # the next question is read only once this one has gone
done
wait_for "Shadow debrief" 60
wait_for "You predicted 6 of 7 moves"
keys End  # the table of moves runs past the screen (the expert's reasons wrap): its end names the trap
wait_for "Where you would have gone wrong"
wait_for "you: restart checkout (all at once)"
keys q
wait_for "[exited 0]"

echo "tmux_smoke: all screens seen"
