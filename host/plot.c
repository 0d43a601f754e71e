/* Training curves as SVG (see plot.h).
 *
 * Picture: a title line, then one or two panels side by side (500 x 420 each; a lone panel is
 * 640 wide). Each panel has a light grid, ticks at "nice" values (steps of 1, 2 or 5 times a
 * power of ten; whole numbers only when every x is whole, as epochs are), decades on log axes
 * (with light minor lines at 2..9), axis labels, and a legend in the corner that covers the
 * fewest data points. Colours follow a fixed palette; a dashed (validation) series takes the
 * colour of the earliest unpaired solid (train) series of its panel, so a metric's pair shares
 * one colour. Points whose x or y is not finite (or not positive on a log axis) are skipped and
 * break the line; a run of one point is drawn as a dot. Every number written is finite and
 * every text is XML-escaped (invalid UTF-8 and control characters are replaced). */
#include "plot.h"
#include "strutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

#define PLOT_H 420.0
#define PANEL_W 500.0  /* with two panels */
#define SINGLE_W 640.0 /* with one */
#define MARGIN_L 80.0  /* tick labels and the y label */
#define MARGIN_R 22.0
#define MARGIN_T 66.0 /* the title line and the panel title */
#define MARGIN_B 58.0 /* tick labels and the x label */
#define MAX_TICKS 24
#define VALUE_CLAMP 1e300 /* values beyond are clamped so that ranges never overflow */
#define CHAR_W 6.9        /* estimated width of one character at 12px, for the legend box */

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};
#define N_COLOURS ((int)(sizeof palette / sizeof palette[0]))

/* ---- text ------------------------------------------------------------------------------- */

/* Writes s as XML character data / attribute text. */
static void xml_text(FILE *f, const char *s) {
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned char c = *p;
        if (c >= 0x80) {
            size_t n = ct_utf8_seq(p, strlen((const char *)p));
            if (n == 0) {
                fputc('?', f);
                p++;
            } else {
                fwrite(p, 1, n, f);
                p += n;
            }
            continue;
        }
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(c < 0x20 || c == 0x7f ? ' ' : (char)c, f); break;
        }
        p++;
    }
}

/* Characters (not bytes) in s, for width estimates. */
static size_t text_chars(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        if ((*p & 0xC0) != 0x80) n++;
    return n;
}

/* A coordinate: always finite, never absurd. */
static double cc(double v) {
    if (!isfinite(v)) return 0.0;
    if (v > 1e6) return 1e6;
    if (v < -1e6) return -1e6;
    return v;
}

static void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *fill,
                     const char *extra, const char *s) {
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\"%s%s>",
            cc(x), cc(y), anchor, size, fill, extra ? " " : "", extra ? extra : "");
    xml_text(f, s);
    fputs("</text>\n", f);
}

/* ---- axes ------------------------------------------------------------------------------- */

typedef struct axis {
    int log;       /* ticks and mapping in log10 units */
    double lo, hi; /* the range (log10 units when log) */
    int n_ticks;
    double ticks[MAX_TICKS]; /* in data units */
    int n_minor;
    double minor[MAX_TICKS * 8];
    double step; /* linear: tick step, for label precision */
} axis;

/* 1, 2 or 5 times a power of ten, near x (> 0). */
static double nice_step(double x) {
    double e = floor(log10(x));
    double p = pow(10.0, e);
    double f = x / p;
    double nf = f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0;
    return nf * p;
}

/* Builds a linear axis covering [mn, mx] (finite, clamped). whole: ticks at whole numbers.
 * tight: the range is the data plus 3% on each side, with the ticks inside (for x, where the
 * lines should span the width); otherwise the range is rounded out to whole ticks (for y). */
static void axis_linear(axis *a, double mn, double mx, int whole, int tight) {
    memset(a, 0, sizeof *a);
    if (!(mx > mn)) { /* one value (or none): widen around it */
        double d = whole ? 1.0 : (mn == 0.0 ? 1.0 : fabs(mn) * 0.1);
        mn -= d;
        mx += d;
    }
    double step = nice_step((mx - mn) / 5.0);
    if (whole && step < 1.0) step = 1.0;
    double lo, hi, first;
    if (tight) {
        double pad = (mx - mn) * 0.03;
        lo = mn - pad;
        hi = mx + pad;
        first = ceil(lo / step) * step;
    } else {
        lo = floor(mn / step) * step;
        hi = ceil(mx / step) * step;
        first = lo;
    }
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(first) || !(hi > lo)) {
        lo = first = mn;
        hi = mx;
    }
    a->lo = lo;
    a->hi = hi;
    a->step = step;
    for (int k = 0; a->n_ticks < MAX_TICKS; k++) {
        double t = first + k * step;
        if (t > hi + step * 1e-9) break;
        if (fabs(t) < step * 1e-9) t = 0.0; /* no "-0" */
        a->ticks[a->n_ticks++] = t;
    }
}

/* Builds a log axis covering [mn, mx] (both > 0): whole decades. */
static void axis_log(axis *a, double mn, double mx) {
    memset(a, 0, sizeof *a);
    a->log = 1;
    double lo = floor(log10(mn)), hi = ceil(log10(mx));
    if (!(hi > lo)) hi = lo + 1.0;
    a->lo = lo;
    a->hi = hi;
    double every = ceil((hi - lo) / 8.0);
    if (every < 1.0) every = 1.0;
    for (double e = lo; e <= hi + 1e-9 && a->n_ticks < MAX_TICKS; e += every)
        a->ticks[a->n_ticks++] = pow(10.0, e);
    if (hi - lo <= 6.0)
        for (double e = lo; e < hi; e += 1.0)
            for (int m = 2; m <= 9; m++)
                a->minor[a->n_minor++] = m * pow(10.0, e);
}

/* Position of v along the axis, 0 at lo and 1 at hi. */
static double axis_frac(const axis *a, double v) {
    double u = a->log ? log10(v) : v;
    return (u - a->lo) / (a->hi - a->lo);
}

static void tick_label(const axis *a, double v, char out[32]) {
    if (a->log) {
        int e = (int)lround(log10(v));
        if (e >= 0 && e <= 4)
            snprintf(out, 32, "%.0f", v);
        else if (e < 0 && e >= -3)
            snprintf(out, 32, "%.*f", -e, v);
        else
            snprintf(out, 32, "1e%d", e);
        return;
    }
    double big = fmax(fabs(a->lo), fabs(a->hi));
    if (big >= 1e6 || a->step < 1e-5) {
        snprintf(out, 32, "%.3g", v);
        return;
    }
    int dec = a->step >= 1.0 ? 0 : (int)ceil(-log10(a->step) - 1e-9);
    snprintf(out, 32, "%.*f", dec, v);
}

/* ---- panels ----------------------------------------------------------------------------- */

typedef struct frame {
    double x0, x1, y0, y1; /* plot area in pixels: left, right, top, bottom */
    axis ax, ay;
} frame;

static int point_ok(const ct_plot_panel *p, const ct_series *s, int i) {
    double x = p->x[i], y = s->y[i];
    if (!isfinite(x) || !isfinite(y)) return 0;
    if (p->log_x && !(x > 0.0)) return 0;
    if (p->log_y && !(y > 0.0)) return 0;
    return 1;
}

static int series_n(const ct_plot_panel *p, const ct_series *s) {
    return s->n < p->n ? s->n : p->n;
}

static double clampv(double v) {
    return v > VALUE_CLAMP ? VALUE_CLAMP : v < -VALUE_CLAMP ? -VALUE_CLAMP : v;
}

static double px_x(const frame *fr, double x) {
    return fr->x0 + axis_frac(&fr->ax, clampv(x)) * (fr->x1 - fr->x0);
}
static double px_y(const frame *fr, double y) {
    return fr->y1 - axis_frac(&fr->ay, clampv(y)) * (fr->y1 - fr->y0);
}

/* Ranges of the drawable points; returns how many there are. */
static long data_range(const ct_plot_panel *p, double *xmn, double *xmx, double *ymn, double *ymx,
                       int *whole_x) {
    long count = 0;
    *xmn = *ymn = INFINITY;
    *xmx = *ymx = -INFINITY;
    *whole_x = 1;
    for (int s = 0; s < p->n_series; s++) {
        const ct_series *se = &p->series[s];
        for (int i = 0; i < series_n(p, se); i++) {
            if (!point_ok(p, se, i)) continue;
            double x = clampv(p->x[i]), y = clampv(se->y[i]);
            *xmn = fmin(*xmn, x);
            *xmx = fmax(*xmx, x);
            *ymn = fmin(*ymn, y);
            *ymx = fmax(*ymx, y);
            if (x != floor(x)) *whole_x = 0;
            count++;
        }
    }
    if (count == 0) { /* no points: still show the x values there are */
        for (int i = 0; i < p->n; i++) {
            double x = p->x[i];
            if (!isfinite(x) || (p->log_x && !(x > 0.0))) continue;
            x = clampv(x);
            *xmn = fmin(*xmn, x);
            *xmx = fmax(*xmx, x);
            if (x != floor(x)) *whole_x = 0;
        }
        if (!(*xmx >= *xmn)) {
            *xmn = p->log_x ? 1.0 : 0.0;
            *xmx = p->log_x ? 10.0 : 1.0;
        }
        *ymn = p->log_y ? 1.0 : 0.0;
        *ymx = p->log_y ? 10.0 : 1.0;
    }
    return count;
}

/* Data points (sampled along the lines) inside a rectangle, to place the legend. */
static long points_inside(const frame *fr, const ct_plot_panel *p, double rx0, double ry0,
                          double rx1, double ry1) {
    long hits = 0;
    for (int s = 0; s < p->n_series; s++) {
        const ct_series *se = &p->series[s];
        int n = series_n(p, se);
        for (int i = 0; i < n; i++) {
            if (!point_ok(p, se, i)) continue;
            double ax = px_x(fr, p->x[i]), ay = px_y(fr, se->y[i]);
            int next = i + 1 < n && point_ok(p, se, i + 1);
            double bx = next ? px_x(fr, p->x[i + 1]) : ax;
            double by = next ? px_y(fr, se->y[i + 1]) : ay;
            int samples = next ? 12 : 1;
            for (int k = 0; k < samples; k++) {
                double t = (double)k / samples;
                double x = ax + t * (bx - ax), y = ay + t * (by - ay);
                if (x >= rx0 && x <= rx1 && y >= ry0 && y <= ry1) hits++;
            }
        }
    }
    return hits;
}

static void draw_grid(FILE *f, const frame *fr) {
    fputs("<g stroke=\"#f0f0f0\" stroke-width=\"1\">\n", f);
    for (int i = 0; i < fr->ax.n_minor; i++) {
        double x = px_x(fr, fr->ax.minor[i]);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", cc(x), fr->y0,
                cc(x), fr->y1);
    }
    for (int i = 0; i < fr->ay.n_minor; i++) {
        double y = px_y(fr, fr->ay.minor[i]);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", fr->x0, cc(y),
                fr->x1, cc(y));
    }
    fputs("</g>\n<g stroke=\"#dedede\" stroke-width=\"1\">\n", f);
    for (int i = 0; i < fr->ax.n_ticks; i++) {
        double x = px_x(fr, fr->ax.ticks[i]);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", cc(x), fr->y0,
                cc(x), fr->y1);
    }
    for (int i = 0; i < fr->ay.n_ticks; i++) {
        double y = px_y(fr, fr->ay.ticks[i]);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", fr->x0, cc(y),
                fr->x1, cc(y));
    }
    fputs("</g>\n", f);
}

static void draw_axes(FILE *f, const frame *fr, const ct_plot_panel *p, double ox) {
    char lab[32];
    fprintf(f,
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
            "stroke=\"#9a9a9a\" stroke-width=\"1\"/>\n",
            fr->x0, fr->y0, fr->x1 - fr->x0, fr->y1 - fr->y0);
    fputs("<g stroke=\"#9a9a9a\" stroke-width=\"1\">\n", f);
    for (int i = 0; i < fr->ax.n_ticks; i++) {
        double x = cc(px_x(fr, fr->ax.ticks[i]));
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", x, fr->y1, x,
                fr->y1 + 5);
    }
    for (int i = 0; i < fr->ay.n_ticks; i++) {
        double y = cc(px_y(fr, fr->ay.ticks[i]));
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", fr->x0 - 5, y,
                fr->x0, y);
    }
    fputs("</g>\n", f);
    for (int i = 0; i < fr->ax.n_ticks; i++) {
        tick_label(&fr->ax, fr->ax.ticks[i], lab);
        svg_text(f, px_x(fr, fr->ax.ticks[i]), fr->y1 + 19, "middle", 11, "#444444", NULL, lab);
    }
    for (int i = 0; i < fr->ay.n_ticks; i++) {
        tick_label(&fr->ay, fr->ay.ticks[i], lab);
        svg_text(f, fr->x0 - 8, px_y(fr, fr->ay.ticks[i]) + 4, "end", 11, "#444444", NULL, lab);
    }
    double mx = (fr->x0 + fr->x1) / 2, my = (fr->y0 + fr->y1) / 2;
    if (p->title && *p->title)
        svg_text(f, mx, fr->y0 - 12, "middle", 14, "#222222", "font-weight=\"bold\"", p->title);
    if (p->xlabel && *p->xlabel)
        svg_text(f, mx, fr->y1 + 42, "middle", 12, "#333333", NULL, p->xlabel);
    if (p->ylabel && *p->ylabel) {
        char rot[64];
        snprintf(rot, sizeof rot, "transform=\"rotate(-90 %.1f %.1f)\"", ox + 20, my);
        svg_text(f, ox + 20, my, "middle", 12, "#333333", rot, p->ylabel);
    }
}

static void draw_series(FILE *f, const frame *fr, const ct_plot_panel *p, const ct_series *se,
                        const char *colour, int clip_id) {
    int n = series_n(p, se);
    fprintf(f, "<g clip-path=\"url(#clip%d)\">\n", clip_id);
    for (int i = 0; i < n;) {
        if (!point_ok(p, se, i)) {
            i++;
            continue;
        }
        int end = i;
        while (end < n && point_ok(p, se, end))
            end++;
        if (end - i == 1) {
            fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\"/>\n",
                    cc(px_x(fr, p->x[i])), cc(px_y(fr, se->y[i])), colour);
        } else {
            fprintf(f,
                    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                    "stroke-linejoin=\"round\" stroke-linecap=\"round\"%s points=\"",
                    colour, se->dashed ? " stroke-dasharray=\"7 4\"" : "");
            for (int k = i; k < end; k++)
                fprintf(f, "%s%.2f,%.2f", k > i ? " " : "", cc(px_x(fr, p->x[k])),
                        cc(px_y(fr, se->y[k])));
            fputs("\"/>\n", f);
        }
        i = end;
    }
    fputs("</g>\n", f);
}

static void draw_legend(FILE *f, const frame *fr, const ct_plot_panel *p,
                        const char *const *colours) {
    if (p->n_series == 0) return;
    size_t maxc = 0;
    for (int s = 0; s < p->n_series; s++) {
        size_t c = p->series[s].name ? text_chars(p->series[s].name) : 9;
        if (c > maxc) maxc = c;
    }
    double w = 46 + (double)maxc * CHAR_W, h = 10 + 18.0 * p->n_series;
    double maxw = fr->x1 - fr->x0 - 16;
    if (w > maxw) w = maxw;
    /* the corner with the fewest points under the box: top right, top left, bottom right,
     * bottom left (in that order of preference on ties) */
    double cx[4] = {fr->x1 - 8 - w, fr->x0 + 8, fr->x1 - 8 - w, fr->x0 + 8};
    double cy[4] = {fr->y0 + 8, fr->y0 + 8, fr->y1 - 8 - h, fr->y1 - 8 - h};
    int best = 0;
    long best_hits = -1;
    for (int c = 0; c < 4; c++) {
        long hits = points_inside(fr, p, cx[c], cy[c], cx[c] + w, cy[c] + h);
        if (best_hits < 0 || hits < best_hits) {
            best = c;
            best_hits = hits;
        }
    }
    double x = cx[best], y = cy[best];
    fprintf(f,
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" rx=\"4\" fill=\"#ffffff\" "
            "fill-opacity=\"0.9\" stroke=\"#c8c8c8\" stroke-width=\"1\"/>\n",
            x, y, w, h);
    for (int s = 0; s < p->n_series; s++) {
        const ct_series *se = &p->series[s];
        double ly = y + 14 + 18.0 * s;
        fprintf(f,
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
                "stroke-width=\"2\"%s/>\n",
                x + 8, ly, x + 34, ly, colours[s], se->dashed ? " stroke-dasharray=\"7 4\"" : "");
        char fallback[32];
        snprintf(fallback, sizeof fallback, "series %d", s + 1);
        svg_text(f, x + 40, ly + 4, "start", 12, "#222222", NULL, se->name ? se->name : fallback);
    }
}

/* One panel with its left edge at ox, width pw. *colour_next: the palette position. */
static int draw_panel(FILE *f, const ct_plot_panel *p, double ox, double pw, int id,
                      int *colour_next) {
    frame fr;
    fr.x0 = ox + MARGIN_L;
    fr.x1 = ox + pw - MARGIN_R;
    fr.y0 = MARGIN_T;
    fr.y1 = PLOT_H - MARGIN_B;
    double xmn, xmx, ymn, ymx;
    int whole_x;
    long count = data_range(p, &xmn, &xmx, &ymn, &ymx, &whole_x);
    if (p->log_x)
        axis_log(&fr.ax, xmn, xmx);
    else
        axis_linear(&fr.ax, xmn, xmx, whole_x, 1);
    if (p->log_y)
        axis_log(&fr.ay, ymn, ymx);
    else
        axis_linear(&fr.ay, ymn, ymx, 0, 0);

    /* colours: solid series take the next colour; dashed ones pair with a solid one */
    const char **colours = calloc((size_t)(p->n_series ? p->n_series : 1), sizeof *colours);
    int *paired = calloc((size_t)(p->n_series ? p->n_series : 1), sizeof *paired);
    if (!colours || !paired) {
        free(colours);
        free(paired);
        return 0;
    }
    for (int s = 0; s < p->n_series; s++) {
        int partner = -1;
        if (p->series[s].dashed)
            for (int t = 0; t < s && partner < 0; t++)
                if (!p->series[t].dashed && !paired[t]) partner = t;
        if (partner >= 0) {
            paired[partner] = 1;
            paired[s] = 1;
            colours[s] = colours[partner];
        } else {
            colours[s] = palette[(*colour_next)++ % N_COLOURS];
        }
    }

    fprintf(f,
            "<clipPath id=\"clip%d\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
            "height=\"%.2f\"/></clipPath>\n",
            id, fr.x0 - 4, fr.y0 - 4, fr.x1 - fr.x0 + 8, fr.y1 - fr.y0 + 8);
    draw_grid(f, &fr);
    draw_axes(f, &fr, p, ox);
    if (count == 0)
        svg_text(f, (fr.x0 + fr.x1) / 2, (fr.y0 + fr.y1) / 2, "middle", 13, "#999999", NULL,
                 "no data");
    for (int s = 0; s < p->n_series; s++)
        draw_series(f, &fr, p, &p->series[s], colours[s], id);
    draw_legend(f, &fr, p, colours);
    free(colours);
    free(paired);
    return 1;
}

static ct_status check_args(const char *path, const ct_plot_panel *panels, int n_panels,
                            char *msg) {
    if (!path || !*path) {
        ct_set_msg(msg, "plot: the path is empty");
        return CT_ERR_ARG;
    }
    if (!panels || n_panels < 1 || n_panels > 2) {
        ct_set_msg(msg, "plot %s: %d panels, expected 1 or 2", path, n_panels);
        return CT_ERR_ARG;
    }
    for (int i = 0; i < n_panels; i++) {
        const ct_plot_panel *p = &panels[i];
        const char *pt = p->title ? p->title : "";
        if (p->n < 0 || (p->n > 0 && !p->x) || p->n_series < 0 || (p->n_series > 0 && !p->series)) {
            ct_set_msg(msg,
                       "plot %s: panel %d '%s' has %d x values and %d series, and a missing "
                       "array",
                       path, i + 1, pt, p->n, p->n_series);
            return CT_ERR_ARG;
        }
        for (int s = 0; s < p->n_series; s++) {
            const ct_series *se = &p->series[s];
            const char *sn = se->name ? se->name : "";
            if (se->n < 0 || (se->n > 0 && !se->y) || se->n > p->n) {
                ct_set_msg(msg,
                           "plot %s: panel '%s', series '%s' has %d values%s, the panel has %d "
                           "x values",
                           path, pt, sn, se->n, se->n > 0 && !se->y ? " but no array" : "", p->n);
                return CT_ERR_ARG;
            }
        }
    }
    return CT_OK;
}

ct_status ct_plot_svg(const char *path, const char *title, const ct_plot_panel *panels,
                      int n_panels, char msg[CT_MSG_LEN]) {
    ct_status st = check_args(path, panels, n_panels, msg);
    if (st != CT_OK) return st;
    ct_atomic_file a = {NULL, NULL, NULL};
    st = ct_atomic_begin(&a, path, msg);
    if (st != CT_OK) return st;
    FILE *f = a.f;
    double pw = n_panels == 1 ? SINGLE_W : PANEL_W;
    double w = pw * n_panels;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">"
            "\n",
            w, PLOT_H, w, PLOT_H);
    if (title && *title) {
        fputs("<title>", f);
        xml_text(f, title);
        fputs("</title>\n", f);
    }
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", w,
            PLOT_H);
    if (title && *title)
        svg_text(f, w / 2, 28, "middle", 17, "#111111", "font-weight=\"bold\"", title);
    int colour_next = 0;
    for (int i = 0; i < n_panels; i++) {
        if (!draw_panel(f, &panels[i], pw * i, pw, i, &colour_next)) {
            ct_atomic_abort(&a);
            ct_set_msg(msg, "cannot write %s: out of memory", path);
            return CT_ERR_ALLOC;
        }
    }
    fputs("</svg>\n", f);
    return ct_atomic_commit(&a, msg);
}
