/* Unit tests for the 9P fid table: order, duplicates, the bounds (all fids
 * and auth fids), release. */
#include "hived/9p/srv.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>

static int released;
static void count_release(struct srv_fid *f, void *arg)
{
	int *sum = arg;
	released++;
	*sum += (int)f->fid;
}

TEST(add_get_del)
{
	struct srv_fids t = { 0 };
	struct srv_fid *f = NULL;
	CHECK_EQ_INT(srv_fids_add(&t, 7, &f), 0);
	CHECK(f && f->fid == 7);
	CHECK_EQ_INT(srv_fids_add(&t, 3, &f), 0);
	CHECK_EQ_INT(srv_fids_add(&t, 11, &f), 0);
	CHECK_EQ_INT(srv_fids_add(&t, 7, &f), -EEXIST);
	CHECK_EQ_INT(srv_fids_add(&t, NINEP_NOFID, &f), -EINVAL);
	CHECK_EQ_INT(t.n, 3);
	CHECK(srv_fids_get(&t, 3) && srv_fids_get(&t, 3)->fid == 3);
	CHECK(srv_fids_get(&t, 11) != NULL);
	CHECK(srv_fids_get(&t, 5) == NULL);
	/* Sorted, so lookups are binary searches. */
	CHECK(t.v[0]->fid == 3 && t.v[1]->fid == 7 && t.v[2]->fid == 11);
	int sum = 0;
	released = 0;
	CHECK_EQ_INT(srv_fids_del(&t, 7, count_release, &sum), 0);
	CHECK_EQ_INT(srv_fids_del(&t, 7, count_release, &sum), -ENOENT);
	CHECK_EQ_INT(released, 1);
	CHECK_EQ_INT(sum, 7);
	CHECK(srv_fids_get(&t, 7) == NULL);
	CHECK(srv_fids_get(&t, 11) != NULL);
	srv_fids_clear(&t, count_release, &sum);
	CHECK_EQ_INT(released, 3);
	CHECK_EQ_INT(sum, 21);
	CHECK_EQ_INT(t.n, 0);
	CHECK(t.v == NULL);
}

TEST(bounded_by_fids_max)
{
	struct srv_fids t = { 0 };
	struct srv_fid *f;
	int rc = 0;
	/* Insert in descending order: every insert shifts the array. */
	for (uint32_t i = 0; i < HIVE_FIDS_MAX && rc == 0; i++)
		rc = srv_fids_add(&t, HIVE_FIDS_MAX * 2 - i, &f);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(t.n, HIVE_FIDS_MAX);
	CHECK_EQ_INT(srv_fids_add(&t, 1, &f), -EMFILE);
	CHECK_EQ_INT(t.cap, HIVE_FIDS_MAX);
	for (uint32_t i = 1; i < t.n; i++)
		CHECK(t.v[i - 1]->fid < t.v[i]->fid);
	/* A freed slot can be reused. */
	CHECK_EQ_INT(srv_fids_del(&t, HIVE_FIDS_MAX * 2, NULL, NULL), 0);
	CHECK_EQ_INT(srv_fids_add(&t, 1, &f), 0);
	CHECK(srv_fids_get(&t, 1) == f);
	srv_fids_clear(&t, NULL, NULL);
	CHECK_EQ_INT(t.n, 0);
}

TEST(empty_table_frees_memory)
{
	struct srv_fids t = { 0 };
	struct srv_fid *f;
	CHECK_EQ_INT(srv_fids_add(&t, 0, &f), 0);
	f->ticket = malloc(8); /* freed with the fid */
	CHECK(t.v != NULL);
	CHECK_EQ_INT(srv_fids_del(&t, 0, NULL, NULL), 0);
	CHECK(t.v == NULL);
	CHECK_EQ_INT(t.cap, 0);
	CHECK(srv_fids_get(&t, 0) == NULL);
}

TEST(auth_fids_counted_apart)
{
	struct srv_fids t = { 0 };
	struct srv_fid *f;
	CHECK_EQ_INT(srv_fids_add(&t, 1, &f), 0); /* a plain fid does not count */
	for (uint32_t i = 0; i < HIVE_AUTH_FIDS_MAX; i++) {
		CHECK_EQ_INT(srv_fids_add_auth(&t, 10 + i, &f), 0);
		CHECK(f->is_auth && f->ticket == NULL);
	}
	CHECK_EQ_INT(t.nauth, HIVE_AUTH_FIDS_MAX);
	CHECK_EQ_INT(srv_fids_add_auth(&t, 99, &f), -EMFILE);
	CHECK(srv_fids_get(&t, 99) == NULL);
	CHECK_EQ_INT(srv_fids_add_auth(&t, 10, &f), -EMFILE); /* the bound is checked first */
	CHECK_EQ_INT(srv_fids_add(&t, 2, &f), 0);             /* plain fids still fine */
	CHECK_EQ_INT(srv_fids_del(&t, 1, NULL, NULL), 0);     /* a plain del keeps the count */
	CHECK_EQ_INT(t.nauth, HIVE_AUTH_FIDS_MAX);
	CHECK_EQ_INT(srv_fids_del(&t, 10, NULL, NULL), 0);
	CHECK_EQ_INT(t.nauth, HIVE_AUTH_FIDS_MAX - 1);
	CHECK_EQ_INT(srv_fids_add_auth(&t, 2, &f), -EEXIST);
	CHECK_EQ_INT(t.nauth, HIVE_AUTH_FIDS_MAX - 1);
	CHECK_EQ_INT(srv_fids_add_auth(&t, 99, &f), 0);
	srv_fids_clear(&t, NULL, NULL);
	CHECK_EQ_INT(t.nauth, 0);
	CHECK_EQ_INT(t.n, 0);
}

int main(void)
{
	RUN(add_get_del);
	RUN(bounded_by_fids_max);
	RUN(empty_table_frees_memory);
	RUN(auth_fids_counted_apart);
	return test_done();
}
