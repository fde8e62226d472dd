/*
 * notify.c — placeholder until the supervisor lands.
 */
#include "notify.h"

#include <errno.h>
#include <string.h>

int notify_start(struct loop *loop, int listener_fd, int pidfd, notify_decide_fn decide, void *arg,
                 struct notify **out, struct err *err)
{
	*out = NULL;
	return err_set(err, ENOSYS, "the supervisor is not built yet");
}

void notify_stop(struct notify *n)
{
}

void notify_get_stats(const struct notify *n, struct notify_stats *st)
{
	memset(st, 0, sizeof *st);
}

const char *notify_op_name(enum notify_op op)
{
	return "unknown";
}
