/*
 * grd_cycle.c - find a cycle in a wait-for graph between owners.
 *
 * Pure: it works on any edge list, one table's (grd_waitfor_edges) or the
 * edges of several LMSes merged by a cross-instance detector, and knows
 * nothing of the tables themselves.
 *
 * The owners are numbered by sorting their keys; the edges are grouped by
 * waiter (a counting sort that keeps their order); then an iterative
 * depth-first search from each owner in key order finds the first edge
 * that leads back onto the current path.  The path from that owner to here,
 * plus that edge, is the cycle.  O(n log n) for n edges, no recursion.
 */
#include <stdlib.h>
#include <string.h>

#include "grd.h"

enum { WHITE, GREY, BLACK };

static uint64_t key_of(struct grd_owner o)
{
	return (uint64_t)o.ow_inst << 32 | o.ow_client;
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t node_of(const uint64_t *keys, size_t m, uint64_t k)
{
	size_t lo = 0, hi = m;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid] <= k)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

struct graph {
	uint64_t *keys;		/* owner keys, sorted, unique: node i */
	size_t m;
	size_t *to;		/* edge -> holder node */
	size_t *start;		/* node -> first of its edges in adj (m + 1) */
	size_t *adj;		/* edge indexes grouped by waiter node */
	size_t *next;		/* node -> next of its edges to try */
	size_t *via;		/* node -> edge it was reached by */
	size_t *stack, *depth;	/* the current path; node -> its place on it */
	unsigned char *color;
};

static void graph_free(struct graph *gr)
{
	free(gr->keys);
	free(gr->to);
	free(gr->start);
	free(gr->adj);
	free(gr->next);
	free(gr->via);
	free(gr->stack);
	free(gr->depth);
	free(gr->color);
}

static int graph_build(struct graph *gr, const struct grd_edge *e, size_t n)
{
	size_t *from;
	size_t m = 0;

	memset(gr, 0, sizeof(*gr));
	gr->keys = malloc(2 * n * sizeof(*gr->keys));
	if (!gr->keys)
		return RAC_ENOMEM;
	for (size_t k = 0; k < n; k++) {
		gr->keys[2 * k] = key_of(e[k].ed_waiter);
		gr->keys[2 * k + 1] = key_of(e[k].ed_holder);
	}
	qsort(gr->keys, 2 * n, sizeof(*gr->keys), cmp_key);
	for (size_t k = 0; k < 2 * n; k++)
		if (!m || gr->keys[k] != gr->keys[m - 1])
			gr->keys[m++] = gr->keys[k];
	gr->m = m;

	gr->to = malloc(n * sizeof(size_t));
	gr->adj = malloc(n * sizeof(size_t));
	gr->start = calloc(m + 1, sizeof(size_t));
	gr->next = malloc(m * sizeof(size_t));
	gr->via = malloc(m * sizeof(size_t));
	gr->stack = malloc(m * sizeof(size_t));
	gr->depth = malloc(m * sizeof(size_t));
	gr->color = calloc(m, 1);
	from = malloc(n * sizeof(size_t));
	if (!gr->to || !gr->adj || !gr->start || !gr->next || !gr->via || !gr->stack ||
	    !gr->depth || !gr->color || !from) {
		free(from);
		return RAC_ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		from[k] = node_of(gr->keys, m, key_of(e[k].ed_waiter));
		gr->to[k] = node_of(gr->keys, m, key_of(e[k].ed_holder));
		gr->start[from[k] + 1]++;
	}
	for (size_t v = 0; v < m; v++)
		gr->start[v + 1] += gr->start[v];
	memcpy(gr->next, gr->start, m * sizeof(size_t));
	for (size_t k = 0; k < n; k++)
		gr->adj[gr->next[from[k]]++] = k;
	memcpy(gr->next, gr->start, m * sizeof(size_t));
	free(from);
	return 0;
}

int grd_cycle_find(const struct grd_edge *edges, size_t n, size_t *cycle, size_t max)
{
	struct graph gr;
	int rc = 0;

	if (!n)
		return 0;
	if (!edges || !cycle)
		return RAC_EINVAL;
	if ((rc = graph_build(&gr, edges, n)))
		goto out;
	for (size_t s = 0; s < gr.m && !rc; s++) {
		size_t sp = 0;

		if (gr.color[s] != WHITE)
			continue;
		gr.color[s] = GREY;
		gr.depth[s] = sp;
		gr.stack[sp++] = s;
		while (sp) {
			size_t u = gr.stack[sp - 1];

			if (gr.next[u] == gr.start[u + 1]) {
				gr.color[u] = BLACK;
				sp--;
				continue;
			}

			size_t ed = gr.adj[gr.next[u]++];
			size_t v = gr.to[ed];

			if (gr.color[v] == WHITE) {
				gr.color[v] = GREY;
				gr.via[v] = ed;
				gr.depth[v] = sp;
				gr.stack[sp++] = v;
			} else if (gr.color[v] == GREY) {
				/* back onto the path: v .. u, then ed back to v */
				size_t len = sp - gr.depth[v];

				if (len > max) {
					rc = RAC_ERANGE;
					break;
				}
				for (size_t k = 1; k < len; k++)
					cycle[k - 1] = gr.via[gr.stack[gr.depth[v] + k]];
				cycle[len - 1] = ed;
				rc = (int)len;
				break;
			}
		}
	}
out:
	graph_free(&gr);
	return rc;
}
