/*
 * The trend line of `hearth timeline`. The points are what a leak hunter
 * trusts: after a collection only live data is left, so Go's marked heap
 * and the JVM's heap after GC are the series whose slope is the leak; a C
 * heap has no garbage, so hearth's in-use heap is fitted as it is. Plain
 * least squares in double, centred on the means so that hour-long runs at
 * byte resolution keep their precision.
 */
#include "timeline_fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"

/* The series to fit: times and values, -1 values skipped. */
static int series(const timeline *t, double **ts, double **ys, size_t *n, const char **what)
{
    size_t cap = t->source == TIMELINE_HEARTH ? t->n_ticks : t->n_gcs;
    *ts = malloc((cap ? cap : 1) * sizeof **ts);
    *ys = malloc((cap ? cap : 1) * sizeof **ys);
    if (!*ts || !*ys)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    size_t k = 0;
    if (t->source == TIMELINE_HEARTH) {
        *what = "in-use heap";
        for (size_t i = 0; i < t->n_ticks; i++)
            if (t->ticks[i].v[TL_HEAP_BYTES] >= 0) {
                (*ts)[k] = t->ticks[i].t_s;
                (*ys)[k++] = (double)t->ticks[i].v[TL_HEAP_BYTES];
            }
    } else {
        *what = t->source == TIMELINE_GO ? "live heap" : "heap after GC";
        for (size_t i = 0; i < t->n_gcs; i++)
            if (t->gcs[i].heap_live >= 0) {
                (*ts)[k] = t->gcs[i].t_s;
                (*ys)[k++] = (double)t->gcs[i].heap_live;
            }
    }
    *n = k;
    return 0;
}

int tl_fit_timeline(tl_fit *out, const timeline *t, double window_s)
{
    memset(out, 0, sizeof *out);
    out->no_time = t->no_time;
    double *ts = NULL, *ys = NULL;
    size_t n = 0;
    int rc = series(t, &ts, &ys, &n, &out->what);
    if (rc)
        goto done;
    if (n == 0)
        goto done;
    double end = ts[0];
    for (size_t i = 1; i < n; i++)
        if (ts[i] > end)
            end = ts[i];
    double from = window_s > 0 ? end - window_s : -INFINITY;
    double st = 0, sy = 0;
    size_t k = 0;
    out->t0 = INFINITY;
    out->t1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (ts[i] < from)
            continue;
        st += ts[i];
        sy += ys[i];
        k++;
        if (ts[i] < out->t0)
            out->t0 = ts[i];
        if (ts[i] > out->t1)
            out->t1 = ts[i];
    }
    out->n = k;
    if (k < 3 || !(out->t1 > out->t0))
        goto done;
    double mt = st / (double)k, my = sy / (double)k;
    double stt = 0, sty = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        if (ts[i] < from)
            continue;
        double dt = ts[i] - mt, dy = ys[i] - my;
        stt += dt * dt;
        sty += dt * dy;
        syy += dy * dy;
    }
    out->slope = sty / stt;
    out->intercept = my - out->slope * mt;
    out->mean = my;
    /* A perfectly flat series: nothing for the line to explain. */
    out->r2 = syy > 0 ? (sty * sty) / (stt * syy) : 0;
    out->ok = true;
done:
    free(ts);
    free(ys);
    return rc;
}

void tl_fit_rate(char *buf, size_t n, double bytes_per_s)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes_per_s * 3600;
    double a = fabs(v);
    int i = 0;
    while (a >= 1024 && i < 4) {
        a /= 1024;
        v /= 1024;
        i++;
    }
    snprintf(buf, n, "%s%.1f %s/h", v >= 0 ? "+" : "", v, units[i]);
}

void tl_fit_duration(char *buf, size_t n, double s)
{
    if (s < 120)
        snprintf(buf, n, "%.1f s", s);
    else if (s < 7200)
        snprintf(buf, n, "%.0f min", s / 60);
    else
        snprintf(buf, n, "%.1f h", s / 3600);
}

void tl_fit_verdict(char *buf, size_t n, const tl_fit *f, double window_s)
{
    const char *what = f->what ? f->what : "heap";
    if (f->no_time) {
        snprintf(buf, n, "%s: the log has no time decorations, so no trend over time", what);
        return;
    }
    if (!f->ok) {
        snprintf(buf, n, "%s: too few points to fit a trend (%zu)", what, f->n);
        return;
    }
    char rate[48], span[48], over[96];
    tl_fit_rate(rate, sizeof rate, f->slope);
    tl_fit_duration(span, sizeof span, window_s > 0 ? window_s : f->t1 - f->t0);
    if (window_s > 0)
        snprintf(over, sizeof over, "over the last %s", span);
    else
        snprintf(over, sizeof over, "over the whole run (%s)", span);
    double change = f->slope * (f->t1 - f->t0);
    bool trend = f->r2 >= 0.5 && fabs(change) >= 0.02 * fabs(f->mean) && change != 0;
    if (trend)
        snprintf(buf, n, "%s %s %s %s (R^2 %.2f)", what, change > 0 ? "grows" : "shrinks",
                 rate + 1 /* no sign after grows/shrinks */, over, f->r2);
    else
        snprintf(buf, n, "%s is flat: %s %s (R^2 %.2f)", what, rate, over, f->r2);
}
