/*
 * resp.c - the Redis lock baseline's protocol client; see resp.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "resp.h"

#define UNLOCK_SCRIPT \
	"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) " \
	"else return 0 end"

static int tcp_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

pid_t resp_server_start(const char *server, int port)
{
	char portstr[16];
	pid_t pid;

	snprintf(portstr, sizeof(portstr), "%d", port);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", 0);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(server, server, "--port", portstr, "--bind", "127.0.0.1", "--save", "",
		      "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {	/* 5 s */
		struct timespec ts = { 0, 10000000 };
		int fd = tcp_connect(port);

		if (fd >= 0) {
			close(fd);
			return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		nanosleep(&ts, NULL);
	}
	resp_server_stop(pid);
	return -1;
}

void resp_server_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 300; i++) {	/* 3 s, then for sure */
		struct timespec ts = { 0, 10000000 };

		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* append one command as a RESP array of bulk strings */
static int cmd(struct resp *r, int argc, const char *const *argv)
{
	int n = snprintf(r->rp_out + r->rp_outlen, sizeof(r->rp_out) - r->rp_outlen, "*%d\r\n",
			 argc);

	if (n < 0 || (size_t)n >= sizeof(r->rp_out) - r->rp_outlen)
		return -1;
	r->rp_outlen += (size_t)n;
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);

		n = snprintf(r->rp_out + r->rp_outlen, sizeof(r->rp_out) - r->rp_outlen,
			     "$%zu\r\n%s\r\n", len, argv[i]);
		if (n < 0 || (size_t)n >= sizeof(r->rp_out) - r->rp_outlen)
			return -1;
		r->rp_outlen += (size_t)n;
	}
	return 0;
}

int resp_flush(struct resp *r)
{
	size_t off = 0;

	while (off < r->rp_outlen) {
		ssize_t n = write(r->rp_fd, r->rp_out + off, r->rp_outlen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	r->rp_outlen = 0;
	return 0;
}

/* one line ending in \r\n at rp_off, reading more as needed; NULL on error */
static char *line(struct resp *r, size_t *len)
{
	for (;;) {
		char *s = r->rp_in + r->rp_off;
		char *e = memchr(s, '\n', r->rp_have - r->rp_off);
		ssize_t n;

		if (e && e > s && e[-1] == '\r') {
			*len = (size_t)(e - 1 - s);
			r->rp_off = (size_t)(e + 1 - r->rp_in);
			return s;
		}
		if (r->rp_off) {	/* keep what is left at the front */
			memmove(r->rp_in, r->rp_in + r->rp_off, r->rp_have - r->rp_off);
			r->rp_have -= r->rp_off;
			r->rp_off = 0;
		}
		if (r->rp_have == sizeof(r->rp_in))
			return NULL;
		n = read(r->rp_fd, r->rp_in + r->rp_have, sizeof(r->rp_in) - r->rp_have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		r->rp_have += (size_t)n;
	}
}

int resp_reply(struct resp *r, long long *val)
{
	size_t len;
	char *s = line(r, &len);

	if (!s || !len)
		return -1;
	switch (s[0]) {
	case '+':
		return RESP_OK;
	case '-':
		return RESP_ERR;
	case ':':
		if (val)
			*val = strtoll(s + 1, NULL, 10);
		return RESP_INT;
	case '$': {
		long long n = strtoll(s + 1, NULL, 10);
		char *b;

		if (n < 0)
			return RESP_NIL;
		b = line(r, &len);	/* our bulk replies hold no line breaks */
		if (!b || (long long)len != n)
			return -1;
		if (val)
			*val = (long long)(b - r->rp_in);	/* offset, valid until the next read */
		return RESP_BULK;
	}
	}
	return -1;
}

int resp_open(struct resp *r, int port)
{
	const char *load[] = { "SCRIPT", "LOAD", UNLOCK_SCRIPT };
	long long at;

	memset(r, 0, sizeof(*r));
	r->rp_fd = tcp_connect(port);
	if (r->rp_fd < 0)
		return -1;
	if (cmd(r, 3, load) || resp_flush(r) || resp_reply(r, &at) != RESP_BULK) {
		resp_close(r);
		return -1;
	}
	memcpy(r->rp_sha, r->rp_in + at, 40);
	r->rp_sha[40] = 0;
	return 0;
}

void resp_close(struct resp *r)
{
	if (r->rp_fd >= 0)
		close(r->rp_fd);
	r->rp_fd = -1;
}

int resp_cmd_lock(struct resp *r, const char *key, const char *token, int ttl_ms)
{
	char ttl[16];
	const char *argv[] = { "SET", key, token, "NX", "PX", ttl };

	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	return cmd(r, 6, argv);
}

int resp_cmd_unlock(struct resp *r, const char *key, const char *token)
{
	const char *argv[] = { "EVALSHA", r->rp_sha, "1", key, token };

	return cmd(r, 5, argv);
}

int resp_lock(struct resp *r, const char *key, const char *token, int ttl_ms)
{
	int k;

	if (resp_cmd_lock(r, key, token, ttl_ms) || resp_flush(r))
		return -1;
	k = resp_reply(r, NULL);
	return k == RESP_OK ? 1 : k == RESP_NIL ? 0 : -1;
}

int resp_unlock(struct resp *r, const char *key, const char *token)
{
	long long v = 0;

	if (resp_cmd_unlock(r, key, token) || resp_flush(r))
		return -1;
	return resp_reply(r, &v) == RESP_INT && v == 1 ? 0 : -1;
}
