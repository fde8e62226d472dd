/*
 * limits.h — every bound the hive enforces, named once, with its reason.
 *
 * A table, queue, buffer, message or line that is not bounded by one of
 * these is a bug. Hitting a limit yields a clear error (and, once the audit
 * chain exists, an audit row), never a crash and never unbounded growth.
 */
#ifndef HIVE_LIMITS_H
#define HIVE_LIMITS_H

/* --- 9P wire ----------------------------------------------------------- */

/* Largest msize we agree to. 64 KiB + the 24-byte Twrite/Rread header keeps
 * one in-flight frame per session small while matching what v9fs and diod
 * use for bulk I/O (iounit = msize - header). */
#define HIVE_MSIZE_MAX (65536u + 24u)
/* Smallest msize we accept: below this a single Rstat or Rgetattr of a
 * long name would not fit, and the session could not make progress. */
#define HIVE_MSIZE_MIN 512u
/* Header of Tread/Rread/Twrite: size[4] type[1] tag[2] fid[4] offset[8] count[4]. */
#define HIVE_IOHDR 24u
/* 9P's MAXWELEM: a Twalk carries at most 16 names (Plan 9 fcall.h). */
#define HIVE_WALK_MAX 16u
/* Longest path element. Matches NAME_MAX of Linux so v9fs never trips it. */
#define HIVE_NAME_MAX 255u
/* Longest uname/aname/version string we keep. A ticket is at most 224 chars
 * (Cohesix) plus room for a role prefix. */
#define HIVE_ATTACH_STR_MAX 512u
/* Deepest path the namespace will ever have; walks past it fail. */
#define HIVE_PATH_DEPTH_MAX 32u
/* Longest path as text (console arguments, client paths). */
#define HIVE_PATH_MAX 1024u

/* --- sessions ---------------------------------------------------------- */

/* Concurrent sessions over all listeners. 1024 lets 1000 idle clients sit
 * while others still get in; with ~2 KiB per idle session it bounds memory. */
#define HIVE_SESSIONS_MAX 1024u
/* Fids a session may hold at once. v9fs holds a fid per open file and per
 * cached dentry; 4096 covers `ls -laR` of the whole tree with room. */
#define HIVE_FIDS_MAX 4096u
/* Requests a session may have in flight (parsed, not yet answered). */
#define HIVE_TAGS_MAX 64u
/* Replies queued for a client that does not read: past this we stop
 * reading its requests (back-pressure) instead of buffering more. */
#define HIVE_OUTQ_BYTES_MAX (4u * HIVE_MSIZE_MAX)
/* Frames of one session handled per turn of the loop; the rest wait in its
 * receive buffer until every other ready session had a turn. One read can
 * bring a whole msize of pipelined requests (~2000 small Treads): served
 * at once, they kept the queen waiting seconds behind 8 hammering workers.
 * 16 still spreads each read and write syscall over many frames. */
#define HIVE_FRAMES_PER_TURN 16u
/* A session with no traffic for this long is closed (ms). */
#define HIVE_IDLE_TIMEOUT_MS (10u * 60u * 1000u)
/* A frame must arrive whole within this time once its first byte has:
 * a slowloris client that trickles bytes is closed (ms). */
#define HIVE_FRAME_TIMEOUT_MS 10000u
/* Version + attach must be done within this time of connecting (ms). */
#define HIVE_HANDSHAKE_TIMEOUT_MS 10000u
/* Initial receive buffer of a session; it grows per frame up to msize and
 * shrinks back when idle, so idle sessions stay small. */
#define HIVE_RXBUF_INITIAL 512u
/* Sessions that have not authenticated yet (TCP and console peers before
 * their attach) share this small pool instead of the table: 1100
 * strangers reconnecting would otherwise hold every slot. 128 covers a
 * burst of honest clients connecting at once; the handshake timeout
 * empties it within 10 s. */
#define HIVE_PREAUTH_SESSIONS_MAX 128u
/* Of that pool, what one peer (one uid, or one remote address) may hold,
 * so a single stranger cannot fill it for the others. */
#define HIVE_PREAUTH_PER_PEER_MAX 32u
/* Slots of the table only the hive owner's Unix socket may take: however
 * many ticketed sessions are live, the queen still gets in. */
#define HIVE_OWNER_SESSIONS_RESERVE 64u
/* A peer's identity as text: "uid=4294967295" or "ip=" and an IPv6 literal (46). */
#define HIVE_PEER_ID_MAX 64u

/* --- namespace --------------------------------------------------------- */

/* Largest snapshot a synthetic read-only file renders at open. */
#define HIVE_SNAPSHOT_MAX (64u * 1024u)
/* Snapshot bytes the open files of one session may hold, each open
 * charged the whole snapshot it serves even when it shares it: a worker
 * that opens fids by the thousand is refused (EMFILE) instead of growing
 * hived. Room for two full /proc/sessions renders (a reader and a
 * refresh) or thousands of opens of the small files. */
#define HIVE_SESSION_SNAPSHOT_BYTES_MAX (2u * HIVE_SESSIONS_MAX * HIVE_SESSIONS_LINE_MAX)
/* How long a render of /proc/sessions (O(sessions)) serves later opens
 * while no session came or went: a client that reopens it in a loop costs
 * one render per window, not one per open. Ages in it may be this stale. */
#define HIVE_RENDER_CACHE_MS 50u
/* Bytes kept by /log/queen.log; older bytes fall off the front (offsets
 * stay absolute, readers below the window start at its base). */
#define HIVE_LOG_RING_BYTES (1024u * 1024u)
/* Longest line a ctl file accepts; longer lines are refused whole. */
#define HIVE_CTL_LINE_MAX 4096u
/* Largest single write to a ctl or append-only file. */
#define HIVE_WRITE_MAX HIVE_MSIZE_MAX
/* Nodes in the whole tree (guards providers that create nodes). */
#define HIVE_NODES_MAX 65536u
/* Longest error text carried back in Rerror / console ERR detail. */
#define HIVE_ERRSTR_MAX 256u
/* Largest value held by a CAS file. */
#define HIVE_CAS_VALUE_MAX 256u

/* --- tickets ----------------------------------------------------------- */

/* Longest ticket token accepted (Cohesix clients cap at 224 characters;
 * ours may carry scopes, so allow the same 224 on the wire). */
#define HIVE_TICKET_TOKEN_MAX 224u
/* Subject (agent id, worker id) length in a ticket. */
#define HIVE_SUBJECT_MAX 64u
/* Scopes a ticket may carry (Cohesix wire limit). */
#define HIVE_TICKET_SCOPES_MAX 16u
/* Strings inside a ticket payload (Cohesix: u16 length, at most 255). */
#define HIVE_TICKET_STR_MAX 255u
/* Longest role secret read from the state directory. */
#define HIVE_SECRET_MAX 128u
/* Longest a ticket lives: a ticket without a ttl, or with a longer one,
 * expires this long after its issue time (Cohesix tickets may carry no
 * ttl; "never" is not a lifetime a stolen ticket should have). hived's
 * --ticket-ttl-max or `ttl_max=SECONDS` in tickets.conf set it lower or
 * higher. 30 days: the longest an agent runs unattended. */
#define HIVE_TICKET_TTL_MAX_S (30u * 24u * 3600u)
/* How far in the future a ticket's issue time may lie: the minting
 * host's clock may run ahead of ours by this much; more is refused (a
 * ticket "issued" in the year 5138 would never expire). */
#define HIVE_TICKET_SKEW_MS_MAX (5u * 60u * 1000u)
/* Ticket ids in <state>/tickets.revoked. Revoking more means a leaked
 * secret: rotate the role's secret in tickets.conf instead. */
#define HIVE_TICKETS_REVOKED_MAX 1024u

/* --- console ----------------------------------------------------------- */

/* One console line (frame payload); Cohesix uses 256, we allow a full path
 * plus an echo payload. */
#define HIVE_CONSOLE_LINE_MAX 1024u
/* Lines a console CAT/TAIL may return before it says `truncated`. */
#define HIVE_CONSOLE_LINES_MAX 256u
/* The attach throttle of both transports (net/auth.c).
 * Failed attaches before a peer is locked out (Cohesix: 3 in 60 s
 * gives a 90 s lockout; back-off 250 ms * 2^n, n <= 8). */
#define HIVE_ATTACH_FAILS_MAX 3u
#define HIVE_ATTACH_FAIL_WINDOW_MS 60000u
#define HIVE_ATTACH_LOCKOUT_MS 90000u
#define HIVE_ATTACH_BACKOFF_BASE_MS 250u
#define HIVE_ATTACH_BACKOFF_SHIFT_MAX 8u
/* The throttle keys a local peer on its uid and source address (a typo on
 * one address does not stall the same user's other clients); a uid that
 * fails this often within the window over all its addresses is locked out
 * whole, so walking 127/8 does not buy more guesses. */
#define HIVE_ATTACH_ID_FAILS_MAX 12u
/* Peers the attach throttle (9P and console) remembers. Past this the
 * entry whose back-off ended longest ago is reused, so a flood of
 * addresses cannot grow memory; 256 covers every client a single host
 * realistically sees. */
#define HIVE_AUTH_PEERS_MAX 256u
/* Console sessions must AUTH/ATTACH within this time (ms). */
#define HIVE_CONSOLE_AUTH_TIMEOUT_MS 5000u

/* --- console sessions (console.c) ---------------------------------------- */

/* Output queued for a console client that does not read: past this we
 * stop reading its frames (back-pressure), as the 9P server does. */
#define HIVE_CONSOLE_OUTQ_BYTES_MAX (64u * 1024u)
/* Largest reply to one request: LINES_MAX payload lines plus the ack and
 * END, each a full frame. The queue never holds more than OUTQ + this. */
#define HIVE_CONSOLE_REPLY_BYTES_MAX ((HIVE_CONSOLE_LINES_MAX + 4u) * (4u + HIVE_CONSOLE_LINE_MAX))
/* Bytes a CAT reads from a file before it says truncated (= one snapshot). */
#define HIVE_CONSOLE_CAT_BYTES_MAX HIVE_SNAPSHOT_MAX
/* Window a TAIL keeps while scanning a file for its last lines, and the
 * most it scans of a file whose length is unknown (one log ring). */
#define HIVE_CONSOLE_TAIL_BYTES_MAX (64u * 1024u)
#define HIVE_CONSOLE_TAIL_SCAN_MAX HIVE_LOG_RING_BYTES
/* Period of the sweep that enforces auth, frame, idle and linger timeouts (ms). */
#define HIVE_CONSOLE_SWEEP_MS 100u
/* A session being closed waits this long for its peer to read the last
 * reply before the socket is closed regardless (ms). */
#define HIVE_CONSOLE_LINGER_MS 2000u
/* Connections accepted per wake-up of the listener (bounded loop work). */
#define HIVE_CONSOLE_ACCEPT_BATCH 16u
/* Longest verb word echoed back in `ERR <VERB>`; Cohesix's longest is 8. */
#define HIVE_CONSOLE_VERB_MAX 16u
/* Longest role word in ATTACH (Cohesix: 16). */
#define HIVE_CONSOLE_ROLE_MAX 16u

/* --- namespace core and log (ns.c, hive.c) ------------------------------ */

/* Longest line of /log/queen.log (one event row, or one queen write).
 * Longer rows are cut and end in "..."; a kernel log line is ~1 KiB too. */
#define HIVE_LOG_LINE_MAX 1024u
/* Window in which repeats of one refusal fold into one `count=N` row (ms):
 * a flood of the same refusal costs a row per window, not one per request,
 * so it cannot push the rest (the `start` row too) out of the log ring. */
#define HIVE_DENY_FOLD_MS 1000u
/* Rows written for one refusal within a window before its repeats fold:
 * a person who tries twice sees two rows, a flood costs three and a count. */
#define HIVE_DENY_FOLD_AFTER 3u
/* Refusal kinds folded at once (~1 KiB each, allocated at the first
 * refusal); past this the least recent one is written out and reused. */
#define HIVE_DENY_FOLD_SLOTS 32u
/* First size of a directory's child table; it doubles as it fills, so the
 * many 3-entry directories stay small and /agent with thousands is cheap. */
#define HIVE_DIR_GROW 8u

/* --- client ------------------------------------------------------------ */

/* Default time a client waits for one reply (ms). */
#define HIVE_CLIENT_TIMEOUT_MS 5000u
/* `hive tail -f` poll interval (ms). */
#define HIVE_TAIL_POLL_MS 250u
/* Longest interactive shell line. */
#define HIVE_SHELL_LINE_MAX 4096u

/* --- hive mount (FUSE) -------------------------------------------------- */

/* Seconds the kernel caches a FUSE entry or attribute of a mounted hive:
 * short, so lifecycle and agent changes show within a second; non-zero so
 * `ls -l` does not cost a 9P walk per name twice over. */
#define HIVE_MOUNT_ATTR_TIMEOUT_S 1
/* How often an idle mount checks its 9P connection (ms), so a mount whose
 * hive died unmounts itself within this time instead of waiting for the
 * next file operation to notice. */
#define HIVE_MOUNT_PING_MS 1000u
/* Files a mount holds open at once (each holds a fid): stays under
 * HIVE_FIDS_MAX with room for the root fid and walks in flight. */
#define HIVE_MOUNT_OPEN_MAX (HIVE_FIDS_MAX - 16u)

/* --- tickets.conf (ticket.c) ------------------------------------------ */

/* Largest tickets.conf read: six role lines of at most HIVE_SECRET_MAX
 * bytes plus comments fit many times over; a bigger file is refused
 * rather than parsed in part. */
#define HIVE_TICKETS_CONF_MAX 8192u
/* Random bytes in a generated role secret (written as hex, so twice this
 * many characters, well under HIVE_SECRET_MAX). */
#define HIVE_TICKET_SECRET_RANDOM 32u

/* --- hive CLI ----------------------------------------------------------- */

/* Bytes `hive tail` reads back from the end of a file to find its last
 * lines: a log line is short, so 64 KiB holds far more than -n asks for
 * while keeping the first read of a 1 MiB ring cheap. */
#define HIVE_TAIL_WINDOW (64u * 1024u)
/* Lines the interactive shell keeps in its history (libedit). */
#define HIVE_SHELL_HISTORY_MAX 1000u
/* Arguments of one shell command, after splitting on blanks. */
#define HIVE_SHELL_ARGS_MAX 64u

/* --- event loop and listeners (loop.c, listen.c) ------------------------ */

/* Events taken per epoll_wait: bounds the work of one loop turn. */
#define HIVE_LOOP_EVENTS_MAX 64u
/* Timers per loop: hived runs a few sweeps, not thousands. */
#define HIVE_LOOP_TIMERS_MAX 256u
/* Connections accepted per wake-up of a 9P listener (bounded loop work). */
#define HIVE_ACCEPT_BATCH 16u
/* listen(2) backlog: room for a burst of 1000 clients connecting at once. */
#define HIVE_LISTEN_BACKLOG 1024
/* Highest signal number the loop watches through signalfd: the standard
 * signals; hived uses no real-time ones. */
#define HIVE_LOOP_SIGNALS_MAX 32
/* Longest busy-poll budget `hived --busy-poll-us` may ask for (us): past a
 * millisecond the spin costs more CPU than the wake-up it saves. */
#define HIVE_BUSY_POLL_US_MAX 1000u

/* --- hardening: auth fids, /proc/sessions ------------------------------ */

/* Auth fids (Tauth) a session may hold at once. A client needs one (Tauth,
 * write the ticket, Tattach) and a few cover a retry or a second attach;
 * before it attaches a TCP peer is a stranger, so this, not HIVE_FIDS_MAX,
 * bounds what it can make the server hold. */
#define HIVE_AUTH_FIDS_MAX 4u
/* Longest line of /proc/sessions: "id=" and six numbers of at most 20
 * digits with their keys (~150 bytes) plus five escaped fields of at most
 * 255 bytes each (transport, peer, dialect, role, subject) is ~1020. */
#define HIVE_SESSIONS_LINE_MAX 1024u
/* Snapshot bound of /proc/sessions: one line per live session over every
 * transport, so the file is never cut (the other /proc files keep
 * HIVE_SNAPSHOT_MAX). A render only keeps the bytes it used. */
#define HIVE_SESSIONS_SNAPSHOT_MAX (HIVE_SESSIONS_MAX * HIVE_SESSIONS_LINE_MAX)

/* One line of <state>/tickets.revoked: a ticket id, a blank and a short
 * comment; with HIVE_TICKETS_REVOKED_MAX it bounds what a reader holds. */
#define HIVE_REVOCATION_LINE_MAX 64u

/* --- manifests and trust (src/trust) ------------------------------------ */

/* Largest manifest file: the 31-agent example is ~3 KiB; 64 KiB is twenty
 * times that and still fits one 9P message, so a spawn can carry it whole. */
#define HIVE_MANIFEST_BYTES_MAX 65536u
/* argv entries of one class, and their bytes together: far below the
 * kernel's ARG_MAX, so an exec never fails for size after we accepted it. */
#define HIVE_MANIFEST_ARGV_MAX 256u
#define HIVE_MANIFEST_ARGV_BYTES_MAX 32768u
/* Environment names a class may keep (names only: values come from the
 * hive's environment at spawn), and the longest name. */
#define HIVE_MANIFEST_ENV_MAX 64u
#define HIVE_MANIFEST_ENV_NAME_MAX 128u
/* Capabilities of one class: each fs/net one becomes a Landlock rule and a
 * supervisor check, so the bundle stays small enough to check per call. */
#define HIVE_MANIFEST_CAPS_MAX 64u
/* Classes in one workload, agents of one class, agents of one workload:
 * a workload is a team, not a fleet; 1024 agents is ~1000 cgroups. */
#define HIVE_MANIFEST_CLASSES_MAX 16u
#define HIVE_MANIFEST_CLASS_COUNT_MAX 256u
#define HIVE_WORKLOAD_AGENTS_MAX 1024u
/* Class, tenant and workload names: they become path and cgroup names. */
#define HIVE_MANIFEST_NAME_MAX 64u
/* Model name of an infer: capability. */
#define HIVE_MODEL_NAME_MAX 128u
/* Quota ranges: cgroup v2 cpu.weight is 1..10000; a memory.max under
 * 1 MiB cannot start a dynamic binary; pids.max and tokens per minute are
 * capped so a typo cannot ask for an unbounded share. */
#define HIVE_QUOTA_CPU_WEIGHT_MAX 10000u
#define HIVE_QUOTA_MEMORY_MIN (1024u * 1024u)
#define HIVE_QUOTA_PIDS_MAX 32768u
#define HIVE_QUOTA_TOKENS_PER_MINUTE_MAX 100000000u
/* Key, public key and signature files are one short line; anything
 * bigger is not ours and is refused before it is parsed. */
#define HIVE_KEY_FILE_MAX 512u
/* Free-text comment of a key (who it belongs to), shown by trust ls. */
#define HIVE_KEY_COMMENT_MAX 64u
/* Signer keys a trust store lists: an operator or a few, not a PKI. */
#define HIVE_TRUST_KEYS_MAX 256u

/* --- attestation (src/trust/attest) ------------------------------------- */

/* An agent id in an attestation: a short name, [A-Za-z0-9._-]. */
#define HIVE_ATTEST_AID_MAX 64u
/* Who authorized a spawn: a ticket subject (HIVE_SUBJECT_MAX) or "uid:N",
 * with room to spare. */
#define HIVE_ATTEST_AUTHORIZER_MAX 128u
/* The enforcement in use, e.g. "landlock=6 seccomp=notify cgroup=v1". */
#define HIVE_ATTEST_ENFORCEMENT_MAX 128u
/* One capability's text: "cap.grant:fs.write:" and a path. */
#define HIVE_ATTEST_CAP_MAX (HIVE_PATH_MAX + 32u)
/* Largest attestation file: every field at its bound, each byte escaped
 * as \u00XX (6x), is ~610 KiB; so a record within its field bounds always
 * fits, and a reader never holds more. */
#define HIVE_ATTEST_FILE_MAX (1024u * 1024u)
/* Bytes hashed per pread of an executable: a stack buffer. */
#define HIVE_ATTEST_READ_CHUNK 65536u
/* Largest executable hashed: a 1 GiB binary takes ~1 s; anything bigger is
 * not an agent we start. */
#define HIVE_ATTEST_EXE_BYTES_MAX (1024ull * 1024u * 1024u)

/* --- agents (src/hived/agent) -------------------------------------------- */

/* A ctl write's reply (what a read on the same open returns): the AIDs of
 * the largest workload, "a-" and 10 digits each, fit with room to spare. */
#define HIVE_CTL_REPLY_MAX 16384u
/* Agents alive at once (and remembered after they end, until reaped from
 * the table): each is a few fds, a cgroup per hierarchy and ~100 KiB of
 * rings; 1024 is the largest workload. */
#define HIVE_AGENTS_MAX 1024u
/* Terminated agents kept in /agent for their records and exit status;
 * past this the oldest terminated one is dropped from the tree. */
#define HIVE_AGENTS_ENDED_MAX 256u
/* One /proc/agents line: ids, names (64 each), and a dozen numbers. */
#define HIVE_AGENTS_LINE_MAX 512u
/* /proc/agents: a line per agent in the table, never cut. */
#define HIVE_AGENTS_SNAPSHOT_MAX ((HIVE_AGENTS_MAX + HIVE_AGENTS_ENDED_MAX) * HIVE_AGENTS_LINE_MAX)
/* An AID: "a-" and up to 20 digits. */
#define HIVE_AID_MAX 24u
/* /agent/<aid>/events and telemetry rings: a few hundred lines each. */
#define HIVE_AGENT_EVENTS_BYTES (32u * 1024u)
#define HIVE_AGENT_TELEMETRY_BYTES (16u * 1024u)
/* Environment entries an agent gets: the allow-list plus HOME, HIVE_FD,
 * HIVE_AID, OPENAI_BASE_URL, OPENAI_API_KEY; and the bytes of one NAME=VALUE
 * taken from hived's environment. */
#define HIVE_AGENT_ENV_MAX (HIVE_MANIFEST_ENV_MAX + 6u)
#define HIVE_AGENT_ENV_VALUE_MAX 4096u
/* Capabilities an agent may hold after grants (the manifest's 64 + grants). */
#define HIVE_AGENT_CAPS_MAX 128u
/* Open descriptors a revocation names (found in /proc/<pid>/fd): the row
 * stays one line; the count past this is still acted on (quarantine). */
#define HIVE_AGENT_REVOKE_FDS_MAX 16u
/* How often each agent's cgroup counters become a telemetry line (ms). */
#define HIVE_AGENT_TELEMETRY_MS 1000u
/* After a denial an agent shows capability-denied at least this long
 * before an allowed call brings it back to active (ms): a state a person
 * can see, not a flicker per system call. */
#define HIVE_AGENT_DENIED_HOLD_MS 2000u
/* A killed agent's group is given this long to go before agents_close stops waiting (ms). */
#define HIVE_AGENT_REAP_WAIT_MS 2000u
/* Default per-agent bounds when a manifest sets none: cpu.weight 100 (v2's
 * default), 512 MiB, 256 pids — a runaway fork loop stops there. */
#define HIVE_AGENT_DEFAULT_CPU_WEIGHT 100u
#define HIVE_AGENT_DEFAULT_MEMORY_MAX (512ull * 1024u * 1024u)
#define HIVE_AGENT_DEFAULT_PIDS_MAX 256u
/* Killing an agent's group: rounds of (v1) freeze, SIGKILL each listed
 * pid, thaw, or (v2) waits after cgroup.kill, HIVE_CGROUP_KILL_PAUSE_US
 * apart, before the group counts as stuck: 200 ms at worst, and pids.max
 * bounds what a fork loop adds per round. */
#define HIVE_CGROUP_KILL_ROUNDS 200u
#define HIVE_CGROUP_KILL_PAUSE_US 1000u
/* As root, agent n runs as uid/gid BASE + n % COUNT (hived --agent-uids):
 * far above any distribution's users and below the 2^31 container ranges. */
#define HIVE_AGENT_UID_BASE 600000u
#define HIVE_AGENT_UID_COUNT 65536u
/* Names of refused system calls the supervisor keeps for rows: the filter
 * refuses ~35, each name resolved once. */
#define HIVE_NOTIFY_SYSCALL_NAMES 64u
/* The supervisor (notify.c): a path read from an agent's memory, and a
 * canonical one, may be as long as the kernel accepts (PATH_MAX), so a
 * long path is checked whole, never truncated into a different one. */
#define HIVE_NOTIFY_PATH_MAX 4096u
/* Symlinks followed while resolving one path as the agent sees it: the
 * kernel's own MAXSYMLINKS, past which the call itself fails ELOOP. */
#define HIVE_NOTIFY_SYMLINKS_MAX 40u
/* Components the supervisor walks one by one for one call (only paths
 * that cross a symlink are walked so): each is a syscall on the loop, so
 * an agent's path of 2000 "a/" elements must not hold the loop for ms. */
#define HIVE_NOTIFY_WALK_STEPS_MAX 256u
/* Supplementary groups the broker takes on for an agent's open (agents
 * have none; hived's own are saved and restored around the open). */
#define HIVE_NOTIFY_GROUPS_MAX 64u

/* The sandbox's child (src/hived/agent/sandbox.c): cgroup.procs files it
 * joins (one per v1 hierarchy: cpu, memory, pids, freezer; or one v2). */
#define HIVE_SANDBOX_CGROUP_FDS_MAX 8u
/* How long spawn waits for the child to hand its seccomp listener over: the
 * child's setup is ~100 us of syscalls; past this it is wedged and killed. */
#define HIVE_SANDBOX_SETUP_MS 5000u
/* Bytes of the exported seccomp program: the kernel's BPF_MAXINSNS (4096)
 * instructions of 8 bytes. */
#define HIVE_SANDBOX_BPF_BYTES_MAX (4096u * 8u)

/* --- audit chain (src/trust/audit*) --------------------------------------- */

/* A record's detail: key=value text; a checkpoint record carries its whole
 * signed note here (origin, size, root, head, time, 18 counts, seal and a
 * signature line: ~700 bytes), so 2 KiB holds it with room. */
#define HIVE_AUDIT_DETAIL_MAX 2048u
/* Largest record frame: the 44 fixed bytes plus every string at its bound
 * (AID, capability, object, detail). A length beyond it is not a frame. */
#define HIVE_AUDIT_FRAME_MAX (44u + HIVE_AID_MAX + HIVE_ATTEST_CAP_MAX + HIVE_PATH_MAX + \
                              HIVE_AUDIT_DETAIL_MAX)
/* Largest segment a reader takes whole into memory: the writer rotates
 * at 64 MiB, and a verifier holding one segment at a time stays bounded. */
#define HIVE_AUDIT_SEGMENT_MAX (64u * 1024u * 1024u)
/* Segments one verify walks: 65536 x 64 MiB is 4 TiB of log. */
#define HIVE_AUDIT_SEGMENTS_MAX 65536u
/* Hashes in one inclusion or consistency proof: a tree of 2^63 leaves
 * needs at most 2 x 63; anything longer is not a proof. */
#define HIVE_AUDIT_PROOF_MAX 128u
/* --- the broker's scheduler (src/hived/broker/sched) --------------------- */

/* Tenants the scheduler keeps counters and settings for: a tenant is a
 * customer, not an agent; a table scanned per dispatch stays cheap. */
#define HIVE_SCHED_TENANTS_MAX 256u
/* Requests waiting at the broker, all tenants: ~100 bytes each (the
 * caller's request structs aside); past this a submit gets a 429. */
#define HIVE_SCHED_QUEUE_MAX 4096u
/* Requests waiting of one tenant: a flooder fills its own queue, not the
 * broker's. 256 is a few engine batches. */
#define HIVE_SCHED_TENANT_QUEUE_MAX 256u
/* Engine concurrency the scheduler holds in flight at most: vLLM's
 * max_num_seqs is 128-256 by default; 1024 is far beyond one engine. */
#define HIVE_SCHED_ENGINE_SLOTS_MAX 1024u
/* What a refusal for a full queue or weight 0 says, when not configured:
 * about one engine batch turning over (ms). */
#define HIVE_SCHED_RETRY_AFTER_MS 1000u
/* Prompt or output tokens of one request the scheduler counts: longer is
 * counted as this (the largest contexts are ~1 M tokens), so counters and
 * buckets never overflow. */
#define HIVE_SCHED_REQUEST_TOKENS_MAX (1u << 21)
/* The engine slot kept for tenants with nothing in flight is kept while
 * such a tenant has submitted within this long (ms): a quiet tenant that
 * calls at least once a minute finds it free; a tenant alone on the engine
 * gets every slot a minute after the others went quiet. */
#define HIVE_SCHED_KEEP_SLOT_MS 60000u
/* The weight of a tenant never set: cgroup v2's default cpu.weight, so one
 * number is a tenant's CPU and inference share. */
#define HIVE_SCHED_WEIGHT_DEFAULT 100u

/* The inference broker (src/hived/broker/). Connections served at once: one
 * libmicrohttpd thread each, so this bounds the broker's threads too (an
 * idle one is a parked stack); the benchmark's five agents hold ~100. */
#define HIVE_BROKER_CONNS_MAX 256u
/* A request body (the prompt and its JSON): a long chat fits, a flood does not. */
#define HIVE_BROKER_BODY_MAX (256u * 1024u)
/* What one answer may hold before it is handed on (buffered between the
 * upstream thread and the client's): an answer past it is cut (502). */
#define HIVE_BROKER_ANSWER_MAX (1024u * 1024u)
/* Requests handed to the loop not yet taken: the inbox between the HTTP
 * threads and the loop; full is a 429 (never a wait that holds a thread). */
#define HIVE_BROKER_INBOX_MAX 128u
/* Requests in flight at the upstream at most (--broker-slots is capped here). */
#define HIVE_BROKER_SLOTS_MAX 64u
/* How long a request may wait for its answer to start, then 504. */
#define HIVE_BROKER_WAIT_MS 120000u
/* Processes whose fds the broker reads to find who owns a loopback TCP
 * peer's socket (/proc/<pid>/fd): past this the caller is unknown. */
#define HIVE_BROKER_SCAN_PIDS_MAX 32768u
/* An agent's OPENAI_API_KEY: "hk-" and 32 random bytes in hex. */
#define HIVE_BROKER_KEY_MAX 67u
/* Latency histogram buckets of /broker/tenants/<t>/latency (ms, powers of two from 1). */
#define HIVE_BROKER_LAT_BUCKETS 18u
/* The GPU part (src/hived/gpu/) and its bridge (src/tools/gpu-bridge/). */
/* GPUs one hive serves: a host has at most 16 NVIDIA devices per NVLink
 * domain; each has a fixed directory, never freed while the hive runs. */
#define HIVE_GPU_MAX 16u
/* Bytes of one published file (info, status, a model manifest, the
 * schema): one publish is one 9P write, and an info or status of a GPU
 * with HIVE_GPU_PROCS_MAX processes fits several times over. */
#define HIVE_GPU_FILE_MAX 8192u
/* Processes listed per GPU in its status (and attributed to leases). */
#define HIVE_GPU_PROCS_MAX 64u
/* A GPU id or a model id: a path component the bridge names. */
#define HIVE_GPU_ID_MAX 64u
/* Models in /gpu/models/available (Cohesix keeps 8; a models dir is small). */
#define HIVE_GPU_MODELS_MAX 64u
/* Leases per GPU, granted and queued together: the FIFO is bounded, the
 * next request past it is refused with a reason. */
#define HIVE_GPU_LEASES_MAX 16u
/* Longest lease: a holder must ask again after a day. */
#define HIVE_GPU_LEASE_TTL_MAX 86400u
/* How often leases are checked for expiry, holders that ended and the
 * queue's head (ms). */
#define HIVE_GPU_SWEEP_MS 250u
/* The bridge's default refresh interval (ms), Cohesix's nvidia poll. */
#define HIVE_GPU_BRIDGE_INTERVAL_MS 1000u

/* --- audit chain: the daemon's writer (src/hived/audit/) ------------------ */

/* The audit chain's writer (src/hived/audit/): records the loop queued and
 * the writer thread has not yet made durable. Past it an append is refused
 * and the enforcement point fails closed (denies, quarantines the agent):
 * ~4.2 KiB a slot, so 2048 slots hold ~8.6 MiB, two full batches. */
#define HIVE_AUDIT_QUEUE_MAX 2048u
/* Slots of the queue only a deny record may take: a deny is enforced
 * whatever the log says, so its record must find room when allows cannot. */
#define HIVE_AUDIT_DENY_RESERVE 256u
/* Records one group commit (one write, one fdatasync) carries at most:
 * 1024 measured at 0.5-1.15 M records/s here (reference/audit.md). */
#define HIVE_AUDIT_BATCH_MAX 1024u
/* Bytes of one batch's encoded frames (the writer's one buffer). */
#define HIVE_AUDIT_BATCH_BYTES (4u * 1024u * 1024u)
/* How long the writer lingers for more records before committing a short
 * batch when nobody waits on durability (us): bounds a deny's lag. */
#define HIVE_AUDIT_LINGER_US 1000u
/* The longest a grant or spawn blocks the loop waiting for its record to
 * be durable (ms): a commit is ~0.2 ms here; past this the grant fails. */
#define HIVE_AUDIT_DURABLE_WAIT_MS 2000u
/* After a failed write or fdatasync the writer retries this much later (ms). */
#define HIVE_AUDIT_RETRY_MS 200u
/* A segment is closed (checkpoint, ROTATE record, new segment) once it
 * holds this many bytes or is this old; the room left below
 * HIVE_AUDIT_SEGMENT_MAX takes the batches queued meanwhile. */
#define HIVE_AUDIT_ROTATE_BYTES (48u * 1024u * 1024u)
#define HIVE_AUDIT_SEGMENT_AGE_MS (3600u * 1000u)
/* The latest signed checkpoints /audit/checkpoints shows (all of them are
 * records: /audit/query type=checkpoint). */
#define HIVE_AUDIT_CHECKPOINTS_SHOWN 16u
/* A checkpoint every this many records or every HIVE_AUDIT_CHECKPOINT_MS. */
#define HIVE_AUDIT_CHECKPOINT_RECORDS 4096u
#define HIVE_AUDIT_CHECKPOINT_MS 1000u
/* Records one /audit/query write reads back at most (decoded and
 * checked on the loop, ~1 us each: ~20 ms); past it the reply ends in
 * `more from=<seq>` to continue from. The rows themselves are bounded by
 * HIVE_CTL_REPLY_MAX. */
#define HIVE_AUDIT_QUERY_SCAN_MAX 20000u

#endif
