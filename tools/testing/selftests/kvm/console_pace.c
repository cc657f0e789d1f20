// SPDX-License-Identifier: GPL-2.0
/*
 * console_pace: copy stdin to stdout, a Linux 3215 console under Hercules,
 * one line per channel write.
 *
 * Hercules' integrated 3215 console prints only the first 150 bytes of each
 * write CCW, and Linux's 3215 driver puts everything it has buffered into
 * one write (up to 50 lines): most of a fast producer's output is lost.
 * So each line (cut into pieces of at most PIECE bytes) is written alone,
 * started at once with TCOFLUSH (which the 3215 driver takes as "start the
 * output now", not "discard") and waited for with tcdrain() before the
 * next. Only for that console: on any other tty TCOFLUSH drops output.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PIECE	148	/* and the newline: within Hercules' 150 bytes */

static void put(const char *s, size_t n)
{
	char buf[PIECE + 1];

	memcpy(buf, s, n);
	buf[n] = '\n';
	if (write(STDOUT_FILENO, buf, n + 1) < 0)
		return;
	tcflush(STDOUT_FILENO, TCOFLUSH);
	tcdrain(STDOUT_FILENO);
}

int main(void)
{
	char line[4096];
	size_t len, off, n;

	while (fgets(line, sizeof(line), stdin)) {
		len = strcspn(line, "\n");
		off = 0;
		do {
			n = len - off < PIECE ? len - off : PIECE;
			put(line + off, n);
			off += n;
		} while (off < len);
	}
	return 0;
}
