#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pubdoc.h"

static kw_pubdoc snap;
static atomic_int stop;
static atomic_long torn;

/* Every document is len copies of one byte; a torn read would mix bytes. */
static void *reader(void *arg)
{
    (void)arg;
    long reads = 0;
    while (!atomic_load(&stop) || reads < 1000) {
        const char *b;
        size_t n;
        int h = kw_pubdoc_acquire(&snap, &b, &n);
        for (size_t i = 1; i < n; i++)
            if (b[i] != b[0]) {
                atomic_fetch_add(&torn, 1);
                break;
            }
        if (n && (size_t)(unsigned char)b[0] != n % 251)
            atomic_fetch_add(&torn, 1);
        kw_pubdoc_release(&snap, h);
        reads++;
    }
    return NULL;
}

Test(pubdoc, readers_never_see_a_torn_document, .timeout = 60)
{
    kw_pubdoc_init(&snap);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, reader, NULL);
    for (int v = 1; v <= 3000; v++) {
        size_t n = 1 + (size_t)(v * 7919) % 4000;
        char *b = malloc(n);
        memset(b, (int)(n % 251), n);
        kw_pubdoc_publish_take(&snap, b, n);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(atomic_load(&torn), 0);
    cr_assert_eq(atomic_load(&snap.version), 3000);
    kw_pubdoc_destroy(&snap);
}

Test(pubdoc, empty_then_latest)
{
    kw_pubdoc s;
    kw_pubdoc_init(&s);
    const char *b;
    size_t n;
    int h = kw_pubdoc_acquire(&s, &b, &n);
    cr_assert_eq(n, 0);
    kw_pubdoc_release(&s, h);
    kw_pubdoc_publish_take(&s, strdup("one"), 3);
    kw_pubdoc_publish_take(&s, strdup("two"), 3);
    h = kw_pubdoc_acquire(&s, &b, &n);
    cr_assert_eq(n, 3);
    cr_assert(memcmp(b, "two", 3) == 0);
    kw_pubdoc_release(&s, h);
    kw_pubdoc_destroy(&s);
}
