/* principal.c — role names, both ways. */
#include "principal.h"

#include <string.h>

const char *principal_role_name(enum hive_role role)
{
	switch (role) {
	case HIVE_ROLE_QUEEN: return "queen";
	case HIVE_ROLE_WORKER: return "worker";
	case HIVE_ROLE_OBSERVER: return "observer";
	default: return "none";
	}
}

enum hive_role principal_role_parse(const char *word)
{
	static const struct { const char *word; enum hive_role role; } words[] = {
		{ "queen", HIVE_ROLE_QUEEN },
		{ "worker", HIVE_ROLE_WORKER },
		{ "worker-heartbeat", HIVE_ROLE_WORKER },
		{ "worker-gpu", HIVE_ROLE_WORKER },
		{ "worker-bus", HIVE_ROLE_WORKER },
		{ "worker-lora", HIVE_ROLE_WORKER },
		{ "observer", HIVE_ROLE_OBSERVER },
	};
	if (!word)
		return HIVE_ROLE_NONE;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(word, words[i].word) == 0)
			return words[i].role;
	return HIVE_ROLE_NONE;
}
