#!/usr/bin/env bash
# t0310 — `hive sh`: scripts from -c, a FILE and stdin (no prompt when
# stdin is not a terminal), cd/pwd and relative paths, echo > / >> into
# ctl files, quoting and comments, stopping at the first failing command
# with its line number and exit code (or going on with -k), syntax
# errors, and the interactive prompt on a pseudo-terminal.
. "$(dirname "$0")/lib.sh"

log_has() { hive_cli cat /log/queen.log | grep -q -- "$1"; }

hive_start
tag="t0310-$$-$RANDOM"

run hive_cli sh -c 'cd /proc; pwd; ls'
check_eq "sh -c: cd + pwd + ls exit 0" 0 "$RC"
check_match "sh -c: pwd prints the new directory" '^/proc$' "$(printf '%s\n' "$OUT" | head -1)"
check_match "sh -c: ls is relative to the cwd" '^version$' "$OUT"
run hive_cli sh -c 'cd /proc/lifecycle; cd ..; cd ../queen; pwd; cd; pwd'
check_eq "cd .. and cd with no argument" "/queen /" "$(echo $OUT)"

run hive_cli sh -c "echo log $tag-a > /queen/ctl; echo log $tag-b >> /queen/ctl"
check_eq "echo > and >> into /queen/ctl exit 0" 0 "$RC"
if log_has "$tag-a" && log_has "$tag-b"; then ok "both echo lines reached /log/queen.log"; else not_ok "both echo lines reached /log/queen.log"; fi
run hive_cli sh -c "cd /queen; echo log $tag-rel>ctl"
check_eq "echo >PATH with a relative path and no blank" 0 "$RC"
if log_has "$tag-rel"; then ok "relative echo target is resolved against the cwd"; else not_ok "relative echo target is resolved against the cwd"; fi

run hive_cli sh -c "echo \"a  b\" 'c;d' e\\ f  # a comment"
check_eq "quotes, escapes and comments" "a  b c;d e f" "$OUT"

cat >"$T_DIR/script" <<EOF
# a comment line
ls /proc
echo log $tag-before > /queen/ctl
cat /nope
echo log $tag-after > /queen/ctl
EOF
run hive_cli sh "$T_DIR/script"
check_eq "script FILE stops with the failing command's exit code (5)" 5 "$RC"
check_match "script FILE names the failing line" '^hive sh: line 4: walk /nope: No such file or directory' "$ERR"
if log_has "$tag-before"; then ok "lines before the failure ran"; else not_ok "lines before the failure ran"; fi
if log_has "$tag-after"; then not_ok "nothing after the failure ran"; else ok "nothing after the failure ran"; fi

run hive_cli sh -k "$T_DIR/script"
check_eq "sh -k still exits with the failure (5)" 5 "$RC"
if log_has "$tag-after"; then ok "sh -k goes on after a failure"; else not_ok "sh -k goes on after a failure"; fi

printf 'pwd\nstat /nope\necho log %s-stdin > /queen/ctl\n' "$tag" >"$T_DIR/stdin-script"
run hive_cli sh <"$T_DIR/stdin-script"
check_eq "stdin script: exit 5 at line 2" 5 "$RC"
check_match "stdin script: line number" '^hive sh: line 2: walk /nope' "$ERR"
check_eq "stdin script: no prompt, just output" "/" "$OUT"
if log_has "$tag-stdin"; then not_ok "stdin script stopped at the failure"; else ok "stdin script stopped at the failure"; fi

run hive_cli sh -c 'ls /
write /proc/version nope
ls /'
check_eq "permission failure in a script: exit 4" 4 "$RC"
check_match "permission failure: line 2" '^hive sh: line 2: open /proc/version: Permission denied' "$ERR"

run hive_cli sh -c 'echo "unterminated'
check_eq "unterminated quote: exit 2" 2 "$RC"
check_match "unterminated quote: line 1" 'line 1: unterminated " quote' "$ERR"
run hive_cli sh -c 'ls > /queen/ctl'
check_eq "redirect on a non-echo command: exit 2" 2 "$RC"
run hive_cli sh -c 'frob'
check_eq "unknown command: exit 2" 2 "$RC"
check_match "unknown command: says so" "unknown command 'frob'" "$ERR"
run hive_cli sh -c 'cd /proc/version'
check_eq "cd into a file: exit 1" 1 "$RC"
check_match "cd into a file: says so" 'cd /proc/version: Not a directory' "$ERR"
run hive_cli sh -c 'cd /nope'
check_eq "cd into nothing: exit 5" 5 "$RC"
run hive_cli sh -c "quit 3; echo log $tag-quit > /queen/ctl"
check_eq "quit N exits with N" 3 "$RC"
if log_has "$tag-quit"; then not_ok "quit stops the script"; else ok "quit stops the script"; fi
run hive_cli sh "$T_DIR/no-such-script"
check_eq "missing script file: exit 5" 5 "$RC"
run hive_cli sh -c 'help'
check_match "help lists the commands" 'echo TEXT' "$OUT"

# Interactive: a pseudo-terminal through script(1) shows the prompt.
if command -v script >/dev/null 2>&1; then
	printf 'pwd\ncd /proc\npwd\nquit\n' >"$T_DIR/tty-in"
	out=$(HOME=$T_DIR timeout 20 script -qec "$HIVE --socket $HIVE_SOCK sh" /dev/null <"$T_DIR/tty-in" 2>&1)
	check_match "interactive shell shows the prompt" 'hive> ' "$out"
	check_match "interactive shell runs commands" '/proc' "$out"
else
	ok "# SKIP script(1) not installed: interactive prompt not tested"
fi

finish
