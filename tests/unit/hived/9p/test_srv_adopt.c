/*
 * test_srv_adopt.c — agents' identity on the hive's own sockets: a
 * connection the hive hands an agent (srv_adopt) is that agent whatever
 * its attach says; a Unix peer inside an agent's cgroup (hive->agent_of_pid)
 * is that agent and never queen, whatever its uid; a peer that cannot be
 * told is refused through the deny door.
 */
#include "srv_harness.h"

#include "hived/ns/ns.h"

#include <sys/un.h>
#include <sys/wait.h>

static const struct ns_perm agent_dir = {
	.mode = 0555,
	.see = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN) | HIVE_ROLE_BIT(HIVE_ROLE_WORKER) | HIVE_ROLE_BIT(HIVE_ROLE_OBSERVER),
	.read = HIVE_ROLE_BIT(HIVE_ROLE_QUEEN) | HIVE_ROLE_BIT(HIVE_ROLE_WORKER) | HIVE_ROLE_BIT(HIVE_ROLE_OBSERVER),
	.visible = hive_agent_visible,
};

/* The hive without a session yet, with /agent/a-1 and /agent/a-2. */
static void setup_bare(void)
{
	memset(&H, 0, sizeof H);
	H.loop = loop_new();
	H.owner_uid = geteuid();
	H.cfg.idle_timeout_ms = HIVE_IDLE_TIMEOUT_MS;
	lifecycle_init(&H.lifecycle, loop_now_ms());
	lifecycle_online(&H.lifecycle, loop_now_ms());
	CHECK_EQ_INT(hive_tree_build(&H), 0);
	struct ns_node *agent = ns_lookup(H.ns, "/agent");
	CHECK(agent != NULL);
	CHECK(ns_mkdir(H.ns, agent, "a-1", &agent_dir) != NULL);
	CHECK(ns_mkdir(H.ns, agent, "a-2", &agent_dir) != NULL);
	S = srv_new(&H);
	CHECK(S != NULL);
	D = NINEP_DIALECT_NONE;
}

static void client_end(int fd)
{
	cfd = fd;
	CHECK_EQ_INT(loop_add_fd(H.loop, cfd, EPOLLIN, on_client_readable, NULL), 0);
}

static int walk_ok(uint32_t newfid, const char *a, const char *b)
{
	struct ninep_msg r;
	if (walk(1, newfid, a, b, &r) != 0 || r.type != NINEP_RWALK)
		return 0;
	return r.u.rwalk.nwqid == (b ? 2 : 1);
}

TEST(adopted_session_is_its_agent)
{
	struct ninep_msg r;
	int sv[2];
	setup_bare();
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct principal who = { .role = HIVE_ROLE_WORKER, .subject = "a-1" };
	CHECK_EQ_INT(srv_adopt(S, sv[0], &who), 0);
	client_end(sv[1]);
	CHECK_EQ_INT(H.npending, 0);
	CHECK_EQ_INT(H.nowner, 0);
	CHECK(H.sessions != NULL);
	CHECK_EQ_STR(H.sessions->transport, "agent");
	CHECK_EQ_STR(H.sessions->peer, "aid=a-1");

	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	/* No auth to be had: the session already is someone. */
	struct ninep_msg m = { .type = NINEP_TAUTH, .tag = 1 };
	m.u.tauth.afid = 9;
	m.u.tauth.uname = ninep_str_c("root");
	m.u.tauth.aname = ninep_str_c("");
	m.u.tauth.n_uname = NINEP_NONUNAME;
	CHECK_EQ_INT(rpc(&m, &r), 0);
	CHECK_EQ_INT(rerr(&r), ENOENT);
	/* uname root and a queen-looking aname change nothing. */
	CHECK_EQ_INT(attach(1, "queen", "cohesix-ticket-forged", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	CHECK_EQ_INT(H.sessions->who.role, HIVE_ROLE_WORKER);
	CHECK_EQ_STR(H.sessions->who.subject, "a-1");
	CHECK(!walk_ok(2, "queen", NULL));
	CHECK(walk_ok(3, "agent", "a-1"));
	CHECK(!walk_ok(4, "agent", "a-2"));
	/* An afid that is no auth fid is not even looked at. */
	m = (struct ninep_msg){ .type = NINEP_TATTACH, .tag = 1 };
	m.u.tattach.fid = 5;
	m.u.tattach.afid = 77;
	m.u.tattach.uname = ninep_str_c("root");
	m.u.tattach.aname = ninep_str_c("/queen");
	m.u.tattach.n_uname = 0;
	CHECK_EQ_INT(rpc(&m, &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	CHECK_EQ_INT(H.denials[HIVE_DENY_ATTACH] + H.denials[HIVE_DENY_TICKET], 0);
	teardown();
}

TEST(adopt_takes_workers_only)
{
	int sv[2];
	setup_bare();
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct principal queen = { .role = HIVE_ROLE_QUEEN, .subject = "a-1" };
	struct principal nobody = { .role = HIVE_ROLE_WORKER };
	CHECK_EQ_INT(srv_adopt(S, sv[0], &queen), -EINVAL);
	CHECK_EQ_INT(srv_adopt(S, sv[0], &nobody), -EINVAL);
	CHECK_EQ_INT(srv_adopt(S, sv[0], NULL), -EINVAL);
	CHECK_EQ_INT(H.nsessions, 0);
	close(sv[0]);
	client_end(sv[1]);
	teardown();
}

/* The agent part's answer, as a test sets it. */
static int hook_rc;
static pid_t hook_pid;
static int stub_agent_of_pid(struct hive *hive, pid_t pid, char *aid, size_t cap)
{
	hook_pid = pid;
	if (hook_rc == 1)
		snprintf(aid, cap, "a-2");
	return hook_rc;
}

/* A Unix peer with the owner's uid, as the listener names it. */
static int accept_owner_peer(int rc)
{
	int sv[2];
	setup_bare();
	H.agent_of_pid = stub_agent_of_pid;
	hook_rc = rc;
	hook_pid = 0;
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	struct peer peer = { .uid = (long long)geteuid(), .pid = (int)getpid(), .is_unix = 1 };
	snprintf(peer.name, sizeof peer.name, "uid=%u pid=%d", (unsigned)geteuid(), (int)getpid());
	snprintf(peer.id, sizeof peer.id, "uid=%u", (unsigned)geteuid());
	snprintf(peer.key, sizeof peer.key, "uid=%u", (unsigned)geteuid());
	int arc = srv_accept(S, sv[0], "unix", &peer);
	if (arc < 0)
		close(sv[0]);
	client_end(sv[1]);
	CHECK_EQ_INT(hook_pid, getpid());
	return arc;
}

TEST(unix_peer_in_agent_cgroup_is_the_agent)
{
	struct ninep_msg r;
	CHECK_EQ_INT(accept_owner_peer(1), 0);
	/* Never the owner's: no reserve, the pool until it attaches. */
	CHECK_EQ_INT(H.nowner, 0);
	CHECK_EQ_INT(H.npending, 1);
	CHECK_EQ_STR(H.sessions->peer_key, "aid=a-2");
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(r.type, NINEP_RATTACH);
	CHECK_EQ_INT(H.sessions->who.role, HIVE_ROLE_WORKER);
	CHECK_EQ_STR(H.sessions->who.subject, "a-2");
	CHECK_EQ_STR(H.sessions->transport, "unix");
	CHECK_EQ_INT(H.npending, 0);
	CHECK(!walk_ok(2, "queen", NULL));
	CHECK(walk_ok(3, "agent", "a-2"));
	CHECK(!walk_ok(4, "agent", "a-1"));
	teardown();
}

TEST(unix_owner_outside_agents_is_queen)
{
	struct ninep_msg r;
	CHECK_EQ_INT(accept_owner_peer(0), 0);
	CHECK_EQ_INT(H.nowner, 1);
	CHECK_EQ_INT(version("9P2000.L", 8192, &r), 0);
	CHECK_EQ_INT(attach(1, "", "", &r), 0);
	CHECK_EQ_INT(H.sessions->who.role, HIVE_ROLE_QUEEN);
	CHECK(walk_ok(2, "queen", NULL));
	teardown();
}

TEST(unix_peer_that_cannot_be_told_is_refused)
{
	CHECK_EQ_INT(accept_owner_peer(-EIO), -EACCES);
	CHECK_EQ_INT(H.nsessions, 0);
	CHECK_EQ_INT(H.denials[HIVE_DENY_ATTACH], 1);
	CHECK_EQ_INT(H.pressure.policy, 1);
	teardown();
}

/* The connecting process is gone by the time its cgroup is read: its pid
 * may be another process's now, so what the lookup says cannot be trusted. */
TEST(unix_peer_gone_is_refused)
{
	char dir[] = "/tmp/hive-adopt-XXXXXX", path[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/s", dir);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ_INT(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	CHECK_EQ_INT(listen(l, 1), 0);
	pid_t child = fork();
	if (child == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(c, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : 1);
	}
	int status = 0;
	CHECK_EQ_INT(waitpid(child, &status, 0), child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK(fd >= 0);
	struct peer peer;
	peer_describe(fd, 1, &peer);
	CHECK_EQ_INT(peer.pid, child);

	setup_bare();
	H.agent_of_pid = stub_agent_of_pid;
	hook_rc = 0;
	CHECK_EQ_INT(srv_accept(S, fd, "unix", &peer), -EACCES);
	CHECK_EQ_INT(H.denials[HIVE_DENY_ATTACH], 1);
	close(fd);
	close(l);
	unlink(path);
	rmdir(dir);
	int sv[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[0]);
	client_end(sv[1]);
	teardown();
}

int main(void)
{
	RUN(adopted_session_is_its_agent);
	RUN(adopt_takes_workers_only);
	RUN(unix_peer_in_agent_cgroup_is_the_agent);
	RUN(unix_owner_outside_agents_is_queen);
	RUN(unix_peer_that_cannot_be_told_is_refused);
	RUN(unix_peer_gone_is_refused);
	return test_done();
}
