/*
 * fanwatch — prove a file was never opened: `fanwatch FILE` marks FILE
 * with fanotify (open, read, exec-open, close) and prints one line per
 * event until killed:
 *
 *   fanwatch: watching FILE
 *   fanwatch: event open pid=1234 comm=cat
 *
 * A refusal "before the VFS" (the supervisor answering the openat with
 * EACCES, so the call never runs) leaves no event; an open that Landlock
 * or DAC refuses leaves none either, an open that happened always does.
 * Needs CAP_SYS_ADMIN (root). Exit 1 when the mark cannot be set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#define FANWATCH_MASK (FAN_OPEN | FAN_ACCESS | FAN_OPEN_EXEC | FAN_CLOSE_WRITE | FAN_CLOSE_NOWRITE)

static void fanwatch_comm(pid_t pid, char *out, size_t cap)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/comm", (int)pid);
	snprintf(out, cap, "?");
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	if (fgets(out, (int)cap, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

static const char *fanwatch_kind(uint64_t m)
{
	if (m & FAN_OPEN_EXEC)
		return "open-exec";
	if (m & FAN_OPEN)
		return "open";
	if (m & FAN_ACCESS)
		return "access";
	return "close";
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fanwatch FILE\n");
		return 2;
	}
	int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
	if (fan < 0) {
		fprintf(stderr, "fanwatch: fanotify_init: %s\n", strerror(errno));
		return 1;
	}
	if (fanotify_mark(fan, FAN_MARK_ADD, FANWATCH_MASK, AT_FDCWD, argv[1]) < 0) {
		fprintf(stderr, "fanwatch: fanotify_mark %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("fanwatch: watching %s\n", argv[1]);
	fflush(stdout);
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	for (;;) {
		ssize_t n = read(fan, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buf;
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			char comm[64];
			fanwatch_comm(m->pid, comm, sizeof comm);
			printf("fanwatch: event %s pid=%d comm=%s mask=0x%llx\n", fanwatch_kind(m->mask), (int)m->pid,
			       comm, (unsigned long long)m->mask);
			if (m->fd >= 0)
				close(m->fd);
		}
		fflush(stdout);
	}
}
