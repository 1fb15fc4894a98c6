/*
 * watch.h - tell the daemon when something it depends on changed outside
 * it: the network interfaces (netlink, RTMGRP_LINK) and its configuration
 * file (inotify, through a uv_fs_event on the file's directory).
 *
 * daemon.c creates both on its loop and closes them at shutdown; the
 * callbacks run on the loop thread and only say "look again": the daemon
 * reads the interfaces (if_nameindex()) and the file itself.  Each watcher
 * frees itself in its handles' close callbacks.
 */
#ifndef FLOWREC_WATCH_H
#define FLOWREC_WATCH_H

#include <stdint.h>

#include <uv.h>

struct watch_links;
struct watch_file;

/*
 * Call changed(arg) after interfaces were added, removed or renamed (one
 * call for a burst of netlink messages, and one when the kernel dropped
 * messages for a full socket buffer).  Without netlink (an error opening
 * the socket, logged) it falls back to calling changed every second.
 * Caller owns the result; it frees itself after watch_links_close().
 */
struct watch_links *watch_links_new(uv_loop_t *, void (*changed)(void *),
		    void *arg);
void		 watch_links_close(struct watch_links *);

/*
 * Call changed(arg) when the file at path was written, replaced (an editor
 * renaming a new file over it), created or removed: settle_ms after the
 * last event in its directory that names it, and only when its stat()
 * (inode, size, times) differs from what was seen before.  A directory that
 * cannot be watched is logged and gives NULL (reloads then come only from
 * SIGHUP and the API).
 */
struct watch_file *watch_file_new(uv_loop_t *, const char *path,
		    uint32_t settle_ms, void (*changed)(void *), void *arg);
void		 watch_file_close(struct watch_file *);

#endif
