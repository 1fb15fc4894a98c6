/*
 * qrdns.c - reverse DNS of the addresses of a result's first rows, all at
 * once, within a time limit (see qrdns.h).
 *
 * One detached thread per distinct address runs getnameinfo(); the caller
 * waits on a condition variable until all have answered or the time is
 * up.  What resolved in time is used; a thread that answers late finds
 * the shared state still alive (reference counted) and drops its answer.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "qrdns.h"
#include "util.h"

struct rdns {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cv;
	size_t		 pending;
	int		 refs;		/* the caller and each thread */
	size_t		 n;
	struct rdns_q {
		uint8_t	 ip[16];
		int	 len;
		char	*name;
		struct rdns *r;
	}		*q;
};

static void
rdns_unref(struct rdns *r)
{
	size_t	i;
	int	last;

	pthread_mutex_lock(&r->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (!last)
		return;
	for (i = 0; i < r->n; i++)
		free(r->q[i].name);
	free(r->q);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cv);
	free(r);
}

static void *
rdns_run(void *arg)
{
	struct rdns_q		*e = arg;
	struct rdns		*r = e->r;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	char			 host[NI_MAXHOST];

	memset(&ss, 0, sizeof ss);
	if (e->len == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, e->ip, 4);
		sl = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, e->ip, 16);
		sl = sizeof *s6;
	}
	if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, NULL, 0,
	    NI_NAMEREQD) == 0) {
		pthread_mutex_lock(&r->lock);
		e->name = util_strdup(host);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_lock(&r->lock);
	r->pending--;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->lock);
	rdns_unref(r);
	return NULL;
}

char **
qrdns_resolve(const struct qquery *q, const struct qresult *res, size_t n,
    int timeout_ms)
{
	struct rdns	*r;
	struct timespec	 ts;
	pthread_attr_t	 attr;
	pthread_t	 th;
	char		**names;
	size_t		 i, j, side;
	const uint8_t	*ip;
	int		 len;

	if (n > res->nrows)
		n = res->nrows;
	if ((names = calloc(2 * n + 1, sizeof *names)) == NULL)
		abort();
	if ((r = calloc(1, sizeof *r)) == NULL)
		abort();
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->refs = 1;
	if ((r->q = calloc(2 * n + 1, sizeof *r->q)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		for (side = 0; side < 2; side++) {
			ip = side ? res->rows[i].k.dip : res->rows[i].k.sip;
			len = side ? res->rows[i].k.dalen : res->rows[i].k.salen;
			if (len == 0 || (side == 0 && !(q->attrs & QA_SIP)) ||
			    (side == 1 && !(q->attrs & QA_DIP)))
				continue;
			for (j = 0; j < r->n; j++) {
				if (r->q[j].len == len &&
				    memcmp(r->q[j].ip, ip, 16) == 0)
					break;
			}
			if (j < r->n)
				continue;
			memcpy(r->q[r->n].ip, ip, 16);
			r->q[r->n].len = len;
			r->q[r->n].r = r;
			r->n++;
		}
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < r->n; i++) {
		pthread_mutex_lock(&r->lock);
		r->refs++;
		r->pending++;
		pthread_mutex_unlock(&r->lock);
		if (pthread_create(&th, &attr, rdns_run, &r->q[i]) != 0) {
			pthread_mutex_lock(&r->lock);
			r->refs--;
			r->pending--;
			pthread_mutex_unlock(&r->lock);
		}
	}
	pthread_attr_destroy(&attr);

	util_deadline(&ts, (unsigned)timeout_ms);
	pthread_mutex_lock(&r->lock);
	while (r->pending > 0 &&
	    pthread_cond_timedwait(&r->cv, &r->lock, &ts) == 0)
		;
	/* what resolved in time is used; late answers are dropped */
	for (i = 0; i < n; i++) {
		for (side = 0; side < 2; side++) {
			ip = side ? res->rows[i].k.dip : res->rows[i].k.sip;
			len = side ? res->rows[i].k.dalen : res->rows[i].k.salen;
			for (j = 0; j < r->n; j++) {
				if (r->q[j].len == len &&
				    memcmp(r->q[j].ip, ip, 16) == 0)
					break;
			}
			if (j < r->n && r->q[j].name != NULL)
				names[i * 2 + side] =
				    util_strdup(r->q[j].name);
		}
	}
	pthread_mutex_unlock(&r->lock);
	rdns_unref(r);
	return names;
}

void
qrdns_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < 2 * n; i++)
		free(names[i]);
	free(names);
}
