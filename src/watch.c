/*
 * watch.c - interface and configuration-file watchers (see watch.h).
 *
 * Links: a NETLINK_ROUTE socket joined to RTMGRP_LINK, non-blocking, read
 * by a uv_poll.  The messages are only counted, not decoded beyond their
 * type: the daemon lists the interfaces again, which is cheap and cannot
 * get out of step with the kernel the way an incremental view could (a
 * full socket buffer drops messages: ENOBUFS, which also means "look").
 *
 * File: inotify watches a directory entry's inode, so an editor that
 * writes a new file and renames it over the old one would leave a watch
 * on the file itself looking at a deleted inode.  The directory is
 * watched instead and events are filtered by name; a settle timer merges
 * the bursts editors make (truncate, write, write, rename), and a stat()
 * comparison drops events that changed nothing.
 */
#include "config.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "watch.h"

#define LINKS_FALLBACK_MS	1000

/* -------------------------------------------------------------- links */

struct watch_links {
	uv_poll_t	 poll;
	uv_timer_t	 timer;		/* the fallback when netlink fails */
	int		 fd;
	int		 closing;
	int		 open_handles;
	void		(*changed)(void *);
	void		*arg;
};

static void
links_closed(uv_handle_t *h)
{
	struct watch_links *w = h->data;

	if (--w->open_handles > 0)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

static void
links_poll_cb(uv_poll_t *h, int status, int events)
{
	struct watch_links *w = h->data;
	char buf[16384];
	struct nlmsghdr *nh;
	ssize_t n;
	int seen = 0;

	(void)status;
	(void)events;
	for (;;) {
		n = recv(w->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)
				seen = 1;	/* messages lost: look anyway */
			if (errno == ENOBUFS)
				continue;
			break;
		}
		if (n == 0)
			break;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		    nh = NLMSG_NEXT(nh, n))
			if (nh->nlmsg_type == RTM_NEWLINK ||
			    nh->nlmsg_type == RTM_DELLINK)
				seen = 1;
	}
	if (seen && !w->closing)
		w->changed(w->arg);
}

static void
links_timer_cb(uv_timer_t *t)
{
	struct watch_links *w = t->data;

	if (!w->closing)
		w->changed(w->arg);
}

struct watch_links *
watch_links_new(uv_loop_t *loop, void (*changed)(void *), void *arg)
{
	struct watch_links *w = util_calloc(1, sizeof *w);
	struct sockaddr_nl sa;
	int size = 1 << 20;

	w->changed = changed;
	w->arg = arg;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_ROUTE);
	if (w->fd >= 0) {
		/* A burst of container interfaces must not overflow it. */
		setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
		memset(&sa, 0, sizeof sa);
		sa.nl_family = AF_NETLINK;
		sa.nl_groups = RTMGRP_LINK;
		if (bind(w->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			log_warn("netlink: bind: %s; looking for interfaces "
			    "every %d ms instead", strerror(errno),
			    LINKS_FALLBACK_MS);
			close(w->fd);
			w->fd = -1;
		}
	} else
		log_warn("netlink: %s; looking for interfaces every %d ms "
		    "instead", strerror(errno), LINKS_FALLBACK_MS);
	uv_timer_init(loop, &w->timer);
	w->timer.data = w;
	w->open_handles = 1;
	if (w->fd >= 0) {
		uv_poll_init(loop, &w->poll, w->fd);
		w->poll.data = w;
		w->open_handles++;
		uv_poll_start(&w->poll, UV_READABLE, links_poll_cb);
	} else
		uv_timer_start(&w->timer, links_timer_cb, LINKS_FALLBACK_MS,
		    LINKS_FALLBACK_MS);
	return w;
}

void
watch_links_close(struct watch_links *w)
{
	if (w == NULL || w->closing)
		return;
	w->closing = 1;
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, links_closed);
	if (w->fd >= 0) {
		uv_poll_stop(&w->poll);
		uv_close((uv_handle_t *)&w->poll, links_closed);
	}
}

/* --------------------------------------------------------------- file */

struct watch_file {
	uv_fs_event_t	 ev;
	uv_timer_t	 settle;
	char		*path;
	char		*base;		/* the name in its directory */
	uint32_t	 settle_ms;
	struct stat	 seen;
	int		 seen_ok;	/* the file existed at the last look */
	int		 closing;
	int		 open_handles;
	void		(*changed)(void *);
	void		*arg;
};

static int
file_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void
file_settled(uv_timer_t *t)
{
	struct watch_file *w = t->data;
	struct stat sb;
	int ok;

	ok = stat(w->path, &sb) == 0;
	if (ok == w->seen_ok && (!ok || file_same(&sb, &w->seen)))
		return;
	w->seen_ok = ok;
	if (ok)
		w->seen = sb;
	if (!w->closing)
		w->changed(w->arg);
}

static void
file_event_cb(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct watch_file *w = h->data;

	(void)events;
	if (status < 0 || w->closing)
		return;
	if (name != NULL && strcmp(name, w->base) != 0)
		return;
	uv_timer_start(&w->settle, file_settled, w->settle_ms, 0);
}

static void
file_closed(uv_handle_t *h)
{
	struct watch_file *w = h->data;

	if (--w->open_handles > 0)
		return;
	free(w->path);
	free(w);
}

struct watch_file *
watch_file_new(uv_loop_t *loop, const char *path, uint32_t settle_ms,
    void (*changed)(void *), void *arg)
{
	struct watch_file *w = util_calloc(1, sizeof *w);
	char *dir, *slash;
	int rc;

	w->path = util_strdup(path);
	w->changed = changed;
	w->arg = arg;
	w->settle_ms = settle_ms;
	dir = util_strdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = util_strdup(".");
		w->base = w->path;
	} else {
		w->base = w->path + (slash - dir) + 1;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	w->seen_ok = stat(path, &w->seen) == 0;
	uv_fs_event_init(loop, &w->ev);
	w->ev.data = w;
	rc = uv_fs_event_start(&w->ev, file_event_cb, dir, 0);
	if (rc != 0) {
		log_warn("%s: cannot watch its directory %s: %s; it is read "
		    "again on SIGHUP only", path, dir, uv_strerror(rc));
		free(dir);
		w->open_handles = 1;
		w->closing = 1;
		uv_close((uv_handle_t *)&w->ev, file_closed);
		return NULL;
	}
	free(dir);
	uv_timer_init(loop, &w->settle);
	w->settle.data = w;
	w->open_handles = 2;
	return w;
}

void
watch_file_close(struct watch_file *w)
{
	if (w == NULL || w->closing)
		return;
	w->closing = 1;
	uv_fs_event_stop(&w->ev);
	uv_timer_stop(&w->settle);
	uv_close((uv_handle_t *)&w->ev, file_closed);
	uv_close((uv_handle_t *)&w->settle, file_closed);
}
