/*
 * cond_resolve.c - host names in conditions resolved with the system
 * resolver on a detached thread, bounded by a timeout
 * (cond_resolve_system()).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cond.h"
#include "util.h"

/* ------------------------------------------------------------ resolver */

struct lookup {
	pthread_mutex_t	 lock;
	pthread_cond_t	 done_cv;
	int		 done, abandoned, rc;
	char		*name;
	struct cond_addr *addrs;
	size_t		 n;
};

static void
lookup_free(struct lookup *l)
{
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->done_cv);
	free(l->name);
	free(l->addrs);
	free(l);
}

static void *
lookup_run(void *arg)
{
	struct lookup	*l = arg;
	struct addrinfo	 hints, *res = NULL, *ai;
	struct cond_addr *a = NULL;
	size_t		 n = 0, i, pass;
	int		 rc, abandoned;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(l->name, NULL, &hints, &res);
	/* IPv4 first, then IPv6, without duplicates */
	for (pass = 0; rc == 0 && pass < 2; pass++) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			struct cond_addr ca;

			memset(&ca, 0, sizeof ca);
			if (pass == 0 && ai->ai_family == AF_INET) {
				memcpy(ca.addr, &((struct sockaddr_in *)
				    ai->ai_addr)->sin_addr, 4);
				ca.alen = 4;
			} else if (pass == 1 && ai->ai_family == AF_INET6) {
				memcpy(ca.addr, &((struct sockaddr_in6 *)
				    ai->ai_addr)->sin6_addr, 16);
				ca.alen = 16;
			} else
				continue;
			for (i = 0; i < n; i++) {
				if (memcmp(&a[i], &ca, sizeof ca) == 0)
					break;
			}
			if (i < n)
				continue;
			if ((a = realloc(a, (n + 1) * sizeof *a)) == NULL)
				abort();
			a[n++] = ca;
		}
	}
	if (res != NULL)
		freeaddrinfo(res);

	pthread_mutex_lock(&l->lock);
	l->rc = rc;
	l->addrs = a;
	l->n = n;
	l->done = 1;
	abandoned = l->abandoned;
	pthread_cond_signal(&l->done_cv);
	pthread_mutex_unlock(&l->lock);
	if (abandoned)
		lookup_free(l);
	return NULL;
}

int
cond_resolve_system(const char *name, int timeout_ms, struct cond_addr **addrs,
    size_t *naddrs, char **err)
{
	struct lookup	*l;
	struct timespec	 ts;
	pthread_attr_t	 attr;
	pthread_t	 th;
	int		 rc = 0, timedout = 0;

	if ((l = calloc(1, sizeof *l)) == NULL)
		abort();
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->done_cv, NULL);
	l->name = util_strdup(name);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, lookup_run, l) != 0) {
		pthread_attr_destroy(&attr);
		lookup_free(l);
		*err = util_strdup("cannot start the resolver");
		return -1;
	}
	pthread_attr_destroy(&attr);

	util_deadline(&ts, (unsigned)timeout_ms);
	pthread_mutex_lock(&l->lock);
	while (!l->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&l->done_cv, &l->lock, &ts);
	if (!l->done) {
		/* the thread frees the lookup when it finishes */
		l->abandoned = 1;
		timedout = 1;
	}
	pthread_mutex_unlock(&l->lock);
	if (timedout) {
		*err = util_printf("timed out after %d ms", timeout_ms);
		return -1;
	}
	if (l->rc != 0) {
		*err = util_strdup(gai_strerror(l->rc));
		lookup_free(l);
		return -1;
	}
	*addrs = l->addrs;
	*naddrs = l->n;
	l->addrs = NULL;
	lookup_free(l);
	return 0;
}
