/*
 * sandbox.c — placeholder until the sandbox lands: every spawn is refused.
 */
#include "sandbox.h"

#include <errno.h>

int sandbox_prepare(const struct sandbox_spec *spec, const struct kernel *k, struct sandbox_plan **out,
                    struct err *err)
{
	*out = NULL;
	return err_set(err, ENOSYS, "the sandbox is not built yet");
}

void sandbox_plan_free(struct sandbox_plan *p)
{
}

const char *sandbox_plan_enforcement(const struct sandbox_plan *p)
{
	return "none";
}

int sandbox_spawn(const struct sandbox_plan *p, struct sandbox_child *out, struct err *err)
{
	return err_set(err, ENOSYS, "the sandbox is not built yet");
}

int sandbox_report_read(int report_fd, char *step, size_t cap, int *errnum)
{
	return 0;
}
