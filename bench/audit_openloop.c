/*
 * audit_openloop — the mediated call the audit path rides on: N openat(2)
 * of PATH in a loop, timed. Run as an agent (`hive run -- audit_openloop N
 * /etc/shadow`) every call is refused by the supervisor through the deny
 * door, which appends one audit record each. Prints
 *   open_ns=<mean ns per call> refused=<calls that failed> calls=N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	long n = argc > 1 ? atol(argv[1]) : 1000, refused = 0;
	const char *path = argc > 2 ? argv[2] : "/etc/shadow";

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			refused++;
		else
			close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
	printf("open_ns=%.0f refused=%ld calls=%ld\n", ns, refused, n);
	return 0;
}
