/*
 * out.c — how `hive` prints what it found: text for people, --json for
 * programs. JSON goes through jansson so names with quotes or control
 * bytes are escaped correctly instead of by hand.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ninep/ninep.h"
#include "cli.h"

const char *hcli_type_name(uint8_t qid_type, uint32_t mode)
{
	if ((qid_type & NINEP_QTDIR) || S_ISDIR(mode))
		return "dir";
	if (qid_type & NINEP_QTAPPEND)
		return "append";
	return "file";
}

void hcli_mode_string(uint32_t mode, uint8_t qid_type, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	out[0] = ((qid_type & NINEP_QTDIR) || S_ISDIR(mode)) ? 'd' : (qid_type & NINEP_QTAPPEND) ? 'a' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = 0;
}

static void hcli_time_string(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "%lld", (long long)t);
}

/* jansson wants UTF-8; a name that is not is shown with '?' for each
 * byte outside ASCII rather than dropped from the listing. */
static const char *hcli_json_name(const char *name, char *tmp, size_t cap)
{
	json_t *probe = json_string(name);
	if (probe) {
		json_decref(probe);
		return name;
	}
	size_t i;
	for (i = 0; name[i] && i + 1 < cap; i++)
		tmp[i] = (unsigned char)name[i] < 0x80 ? name[i] : '?';
	tmp[i] = 0;
	return tmp;
}

static json_t *hcli_stat_json(const char *raw, const struct hivec_stat *st)
{
	char tmp[HIVE_PATH_MAX + 1];
	const char *name = hcli_json_name(raw, tmp, sizeof tmp);
	return json_pack("{s:s, s:s, s:I, s:I, s:I}", "name", name,
	                 "type", hcli_type_name(st->qid_type, st->mode),
	                 "mode", (json_int_t)(st->mode & 07777),
	                 "size", (json_int_t)st->size, "mtime", (json_int_t)st->mtime);
}

void hcli_print_stat(FILE *f, const char *path, const struct hivec_stat *st, int json)
{
	char mode[11], mt[32], at[32], ct[32];
	const char *base = strrchr(path, '/');
	base = (base && base[1]) ? base + 1 : path;
	if (json) {
		json_t *o = hcli_stat_json(base, st);
		if (!o)
			return;
		char tmp[HIVE_PATH_MAX + 1];
		json_object_set_new(o, "path", json_string(hcli_json_name(path, tmp, sizeof tmp)));
		json_object_set_new(o, "atime", json_integer(st->atime));
		json_object_set_new(o, "ctime", json_integer(st->ctime));
		json_object_set_new(o, "uid", json_integer(st->uid));
		json_object_set_new(o, "gid", json_integer(st->gid));
		json_object_set_new(o, "nlink", json_integer((json_int_t)st->nlink));
		json_object_set_new(o, "qid_path", json_integer((json_int_t)st->qid_path));
		json_object_set_new(o, "qid_type", json_integer(st->qid_type));
		json_dumpf(o, f, JSON_COMPACT | JSON_ENSURE_ASCII);
		fputc('\n', f);
		json_decref(o);
		return;
	}
	hcli_mode_string(st->mode, st->qid_type, mode);
	hcli_time_string(st->mtime, mt, sizeof mt);
	hcli_time_string(st->atime, at, sizeof at);
	hcli_time_string(st->ctime, ct, sizeof ct);
	fprintf(f, "path:  %s\ntype:  %s\nmode:  %s (%04o)\nsize:  %llu\n", path,
	        hcli_type_name(st->qid_type, st->mode), mode, st->mode & 07777,
	        (unsigned long long)st->size);
	fprintf(f, "mtime: %s\natime: %s\nctime: %s\nuid:   %u\ngid:   %u\nnlink: %llu\n", mt, at,
	        ct, st->uid, st->gid, (unsigned long long)st->nlink);
	fprintf(f, "qid:   path=%llu type=0x%02x\n", (unsigned long long)st->qid_path, st->qid_type);
}

void hcli_print_ls(FILE *f, const struct hcli_lsent *e, size_t n, int long_fmt, int json)
{
	if (json) {
		json_t *a = json_array();
		if (!a)
			return;
		for (size_t i = 0; i < n; i++) {
			json_t *o;
			if (e[i].have_stat) {
				o = hcli_stat_json(e[i].name, &e[i].st);
			} else {
				char tmp[HIVE_NAME_MAX + 1];
				o = json_pack("{s:s, s:s}", "name",
				              hcli_json_name(e[i].name, tmp, sizeof tmp), "type",
				              hcli_type_name(e[i].qid_type, 0));
			}
			if (o)
				json_array_append_new(a, o);
		}
		json_dumpf(a, f, JSON_COMPACT | JSON_ENSURE_ASCII);
		fputc('\n', f);
		json_decref(a);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int dir = (e[i].qid_type & NINEP_QTDIR) != 0;
		if (long_fmt && e[i].have_stat) {
			char mode[11], mt[32];
			hcli_mode_string(e[i].st.mode, e[i].qid_type, mode);
			hcli_time_string(e[i].st.mtime, mt, sizeof mt);
			fprintf(f, "%s %10llu %s %s%s\n", mode, (unsigned long long)e[i].st.size, mt,
			        e[i].name, dir ? "/" : "");
		} else if (long_fmt) {
			fprintf(f, "?????????? %10s %20s %s%s\n", "?", "?", e[i].name, dir ? "/" : "");
		} else {
			fprintf(f, "%s%s\n", e[i].name, dir ? "/" : "");
		}
	}
}
