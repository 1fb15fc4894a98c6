/*
 * conftab_json.c - a loaded configuration as JSON, driven by its table
 * (conftab.h): GET /config and flowctl config print it.
 *
 * Every row gives one member under its own name: numbers as numbers
 * (sizes and durations in bytes and seconds), booleans, enums by their
 * canonical name, strings (null when unset), lists as arrays, sections
 * as objects (a flattened section's keys in an object of its own, as the
 * file writes them), maps as objects keyed by entry name.  A row marked
 * CONFTAB_SECRET is never printed: "********" when set, null when not.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "conftab.h"
#include "util.h"

#define CONFTAB_JSON_HIDDEN	"********"

static uint64_t
ctj_number(const struct conftab_key *k, const void *p)
{
	return k->size == sizeof(uint32_t) ? *(const uint32_t *)p :
	    *(const uint64_t *)p;
}

static json_t *
ctj_string(const struct conftab_key *k, const char *v)
{
	if (v == NULL)
		return json_null();
	if (k->flags & CONFTAB_SECRET)
		return json_string(CONFTAB_JSON_HIDDEN);
	return json_string(v);
}

json_t *
conftab_json(const struct conftab_section *sec, const void *base)
{
	const struct conftab_key *k;
	const struct conftab_choice *c;
	const uint8_t *b = base, *e;
	char *const *list;
	json_t *o = json_object(), *v, *a;
	size_t n, i;
	int iv;

	for (k = sec->keys; k->name != NULL; k++) {
		switch (k->type) {
		case CONFTAB_UINT:
		case CONFTAB_SIZE:
		case CONFTAB_SECONDS:
			v = json_integer((json_int_t)ctj_number(k,
			    b + k->offset));
			break;
		case CONFTAB_BOOL:
			v = json_boolean(*(const int *)(b + k->offset));
			break;
		case CONFTAB_ENUM:
			iv = *(const int *)(b + k->offset);
			v = json_null();
			for (c = k->choices; c->name != NULL; c++)
				if (c->value == iv) {
					json_decref(v);
					v = json_string(c->name);
					break;
				}
			break;
		case CONFTAB_STRING:
		case CONFTAB_PATH:
			v = ctj_string(k, *(char *const *)(b + k->offset));
			break;
		case CONFTAB_STRLIST:
			n = *(const size_t *)(b + k->count_offset);
			list = *(char **const *)(b + k->offset);
			v = json_array();
			for (i = 0; i < n; i++)
				json_array_append_new(v, ctj_string(k,
				    list[i]));
			break;
		case CONFTAB_SECTION:
			v = conftab_json(k->sub, b + k->offset);
			break;
		case CONFTAB_MAP:
			n = *(const size_t *)(b + k->count_offset);
			e = *(uint8_t *const *)(b + k->offset);
			v = json_object();
			for (i = 0; i < n; i++, e += k->sub->size) {
				a = conftab_json(k->sub, e);
				json_object_set_new(v, *(char *const *)(e +
				    k->sub->name_offset), a);
			}
			break;
		default:
			v = json_null();
			break;
		}
		json_object_set_new(o, k->name, v);
	}
	return o;
}
