/*
 * fuzz_console.c — libFuzzer target for the console's wire decoding.
 *
 * Console peers are TCP clients: the frame splitter and the line checks see
 * hostile bytes first. This walks the input as a stream of frames the way
 * a session does, checks every whole frame's line, and asserts the bounds
 * the session relies on (a frame never exceeds what was received nor
 * CONSOLE_FRAME_MAX; a UTF-8 cut never grows the line).
 */
#include <stdint.h>
#include <string.h>

#include "hived/console/console_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	while (pos < size) {
		size_t frame_len = 0;
		int rc = console_frame_parse(data + pos, size - pos, &frame_len);
		if (rc <= 0)
			break;
		if (frame_len < CONSOLE_HDR || frame_len > CONSOLE_FRAME_MAX || frame_len > size - pos)
			__builtin_trap();
		const uint8_t *line = data + pos + CONSOLE_HDR;
		size_t n = frame_len - CONSOLE_HDR;
		const char *why = NULL;
		if (console_line_check(line, n, &why) != 0 && !why)
			__builtin_trap();
		if (console_utf8_cut(line, n, n / 2) > n / 2)
			__builtin_trap();
		uint8_t copy[CONSOLE_FRAME_MAX];
		memcpy(copy, line, n);
		console_sanitize(copy, n);
		if (console_line_check(copy, n, &why) != 0 && n > 0 && strcmp(why, "empty-line") != 0)
			__builtin_trap();
		pos += frame_len;
	}
	return 0;
}
