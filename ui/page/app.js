/* The UI's page: plain DOM and uPlot, no framework. Routes: #/ (environments and jobs),
 * #/job/<id> (a job), #/compare/<id>,<id>,... (overlaid curves and hyperparameter differences).
 * Everything is read from the local server's /api (which only reads from the API). */
"use strict";
(function () {
  const M = window.FtMetrics;
  const app = document.getElementById("app");
  const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f"];
  let teardown = [];
  const state = { filter: "all", search: "", selected: new Set(), smoothing: 0.6, smooth: true };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  const fmtTime = (s) => (s ? new Date(s * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "—");
  const fmtUsd = (n) => (n === null || n === undefined ? "unknown" : n < 0.01 ? "$" + n.toFixed(4) : "$" + n.toFixed(2));
  const fmtNum = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));
  const statusBadge = (s) => el("span", { class: "status " + s, "data-status": s }, s);
  async function getJson(path) {
    const res = await fetch(path);
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }
  function copyButton(text) {
    return el("button", { class: "small", title: "copy", "data-copy": text, onclick: () => navigator.clipboard && navigator.clipboard.writeText(text) }, "copy");
  }
  function ownerLabel(o) { return o ? `${o.project}/${o.stack}` : "unmanaged"; }

  // ------------------------------------------------------------------ list

  function matchesFilter(job) {
    if (state.filter === "all") return true;
    if (state.filter === "running") return !TERMINAL.has(job.status);
    return job.status === state.filter;
  }
  function matchesSearch(job) {
    const q = state.search.trim().toLowerCase();
    if (!q) return true;
    return [job.id, job.model, job.fineTunedModel, job.suffix, job.owner && `${job.owner.project}/${job.owner.stack}/${job.owner.resource}`, job.datasetHash]
      .some((v) => v && v.toLowerCase().includes(q));
  }

  function renderEnvironments(ov, byId) {
    const card = el("section", { class: "card", "data-testid": "environments" }, el("h2", {}, "Environments"));
    for (const env of ov.environments) {
      const jobs = env.jobs.map((id) => byId.get(id));
      const latest = jobs.find((j) => j.status === "succeeded");
      const item = el("div", { class: "env", "data-env": `${env.project}/${env.stack}` },
        el("div", { class: "env-title" }, `${env.project} / ${env.stack}`),
        el("div", { class: "muted" }, `${jobs.length} job${jobs.length === 1 ? "" : "s"}`),
        env.serving.length ? el("div", {}, "serves: ", ...env.serving.map((s) => el("code", { "data-serving": s.model }, s.model + " ")))
          : el("div", { class: "muted" }, "serves nothing"),
        el("ul", {}, ...jobs.slice(0, 8).map((j) => el("li", {},
          el("a", { href: `#/job/${j.id}` }, j.owner.resource), " ", statusBadge(j.status), " ",
          el("span", { class: "muted mono" }, j.model), j.datasetHash ? el("span", { class: "muted mono", title: "dataset sha256" }, " data " + j.datasetHash.slice(0, 12)) : null))),
        jobs.length > 8 ? el("div", { class: "muted" }, `and ${jobs.length - 8} more in the job list`) : null,
        latest && latest.fineTunedModel ? el("div", { class: "muted" }, "latest model ", el("code", {}, latest.fineTunedModel)) : null);
      card.append(item);
    }
    card.append(el("div", { class: "env", "data-env": "unmanaged" }, el("div", { class: "env-title" }, "unmanaged"),
      el("div", { class: "muted" }, `${ov.unmanaged.length} job${ov.unmanaged.length === 1 ? "" : "s"} not made by this package`),
      el("ul", {}, ...ov.unmanaged.slice(0, 8).map((id) => byId.get(id)).map((j) => el("li", {},
        el("a", { href: `#/job/${j.id}` }, j.fineTunedModel || j.id), " ", statusBadge(j.status), " ", el("span", { class: "muted mono" }, j.model)))),
      ov.unmanaged.length > 8 ? el("div", { class: "muted" }, `and ${ov.unmanaged.length - 8} more in the job list`) : null));
    return card;
  }

  const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  /** Rows as one HTML string: 500 jobs render in one parse instead of thousands of DOM calls. */
  function renderJobTable(jobs, tbody, countNode) {
    const shown = jobs.filter((j) => matchesFilter(j) && matchesSearch(j));
    countNode.textContent = `${shown.length} of ${jobs.length}`;
    tbody.innerHTML = shown.map((j) => `<tr class="job-row" data-job="${esc(j.id)}" data-status="${esc(j.status)}">` +
      `<td><input type="checkbox" aria-label="compare"${state.selected.has(j.id) ? " checked" : ""}></td>` +
      `<td class="mono">${esc(j.id)}</td><td><span class="status ${esc(j.status)}" data-status="${esc(j.status)}">${esc(j.status)}</span></td>` +
      `<td>${esc(ownerLabel(j.owner))}${j.owner ? `<div class="muted">${esc(j.owner.resource)}</div>` : ""}</td>` +
      `<td class="mono">${esc(j.model)}${j.fineTunedModel ? `<div class="muted">${esc(j.fineTunedModel)}</div>` : ""}</td>` +
      `<td>${esc(fmtTime(j.createdAt))}</td></tr>`).join("");
  }

  function onTableEvent(e) {
    const tr = e.target.closest("tr[data-job]");
    if (!tr) return;
    const id = tr.dataset.job;
    if (e.target.tagName === "INPUT") {
      if (e.type === "change") e.target.checked ? state.selected.add(id) : state.selected.delete(id);
    } else if (e.type === "click") location.hash = `#/job/${id}`;
  }

  async function showList() {
    const ov = await getJson("/api/overview");
    const byId = new Map(ov.jobs.map((j) => [j.id, j]));
    const fetched = performance.now();
    const tbody = el("tbody", { onclick: onTableEvent, onchange: onTableEvent });
    const count = el("span", { class: "muted", "data-testid": "job-count" });
    const redraw = () => renderJobTable(ov.jobs, tbody, count);
    const filterButtons = ["all", "running", "succeeded", "failed", "cancelled"].map((f) =>
      el("button", { class: state.filter === f ? "on" : "", "data-filter": f, onclick: (e) => {
        state.filter = f;
        for (const b of e.target.parentNode.querySelectorAll("button[data-filter]")) b.classList.toggle("on", b.dataset.filter === f);
        redraw();
      } }, f));
    const search = el("input", { type: "search", placeholder: "search id, model, stack, suffix", value: state.search, oninput: (e) => { state.search = e.target.value; redraw(); } });
    const compare = el("button", { class: "small", "data-testid": "compare", onclick: () => { if (state.selected.size >= 2) location.hash = `#/compare/${[...state.selected].join(",")}`; } }, "compare selected");
    const jobsCard = el("section", { class: "card", "data-testid": "jobs" }, el("h2", {}, "Jobs ", count),
      el("div", { class: "filters" }, ...filterButtons, search, compare),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, "job"), el("th", {}, "status"), el("th", {}, "environment"), el("th", {}, "model"), el("th", {}, "created"))), tbody));
    app.replaceChildren(el("div", { class: "layout" }, renderEnvironments(ov, byId), jobsCard));
    redraw();
    window.__ftRendered = { view: "list", at: performance.now(), fetched, jobs: ov.jobs.length };
  }

  // ------------------------------------------------------------------ charts

  function chartWidth(node) { return Math.max(320, (node.clientWidth || 640) - 8); }

  /** Vertical lines at checkpoint steps, the best one green and thicker. */
  function checkpointPlugin(checkpoints, bestId) {
    return { hooks: { draw: [(u) => {
      const ctx = u.ctx;
      for (const c of checkpoints) {
        const x = Math.round(u.valToPos(c.step_number, "x", true));
        const best = c.id === bestId;
        ctx.save();
        ctx.strokeStyle = best ? "#15803d" : "#9ca3af";
        ctx.lineWidth = best ? 3 : 1;
        ctx.setLineDash(best ? [] : [4, 4]);
        ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
        ctx.restore();
      }
    }] } };
  }

  function seriesValues(rows, col) {
    const raw = rows.map((r) => r[col]);
    return state.smooth ? M.smooth(raw, state.smoothing) : raw;
  }

  function stepChart(container, jobId, rows, metric, checkpoints, bestId) {
    const cols = metric === "loss" ? ["train_loss", "valid_loss"] : ["train_mean_token_accuracy", "valid_mean_token_accuracy"];
    const present = cols.filter((c) => rows.some((r) => r[c] !== null));
    const holder = el("div", { class: "chart", "data-testid": "curve", "data-job": jobId, "data-metric": metric, "data-points": rows.length });
    container.append(el("h3", {}, metric === "loss" ? "Loss per step" : "Token accuracy per step"), holder);
    if (!rows.length) { holder.append(el("p", { class: "muted" }, "no metrics yet")); return null; }
    const data = [rows.map((r) => r.step), ...present.map((c) => seriesValues(rows, c))];
    const opts = {
      width: chartWidth(container), height: 220,
      scales: { x: { time: false } },
      series: [{ label: "step" }, ...present.map((c, i) => ({ label: c, stroke: COLORS[i], width: 1.5, spanGaps: true }))],
      plugins: checkpoints ? [checkpointPlugin(checkpoints, bestId)] : [],
    };
    return new uPlot(opts, data, holder);
  }

  /** Full-validation points: from checkpoints (one per kept epoch) and any result-file rows that carry them. */
  function epochPoints(rows, checkpoints) {
    const byStep = new Map();
    for (const r of rows) if (r.full_valid_loss !== null) byStep.set(r.step, r.full_valid_loss);
    for (const c of checkpoints) if (typeof c.metrics.full_valid_loss === "number") byStep.set(c.step_number, c.metrics.full_valid_loss);
    return [...byStep.entries()].sort((a, b) => a[0] - b[0]);
  }

  function epochChart(container, jobId, rows, checkpoints) {
    const points = epochPoints(rows, checkpoints);
    const holder = el("div", { class: "chart", "data-testid": "epoch-curve", "data-job": jobId, "data-points": points.length });
    container.append(el("h3", {}, "Full validation loss per epoch"), holder);
    if (!points.length) { holder.append(el("p", { class: "muted" }, "no full-validation points (no validation file, or not reached yet)")); return null; }
    return new uPlot({
      width: chartWidth(container), height: 160, scales: { x: { time: false } },
      series: [{ label: "step" }, { label: "full_valid_loss", stroke: COLORS[2], width: 2, points: { show: true, size: 7 } }],
    }, [points.map((p) => p[0]), points.map((p) => p[1])], holder);
  }

  // ------------------------------------------------------------------ job page

  function hyperparameters(job) {
    const method = job.method && job.method[job.method.type];
    return Object.assign({}, job.hyperparameters || {}, (method && method.hyperparameters) || {});
  }

  function fileLine(label, f, id) {
    if (!id) return [el("div", {}, label), el("div", { class: "muted" }, "—")];
    return [el("div", {}, label), el("div", { class: "mono" }, id, f ? el("span", { class: "muted" }, ` ${f.filename}, ${fmtNum(f.bytes)} bytes`) : null)];
  }

  function detailCard(d) {
    const j = d.job;
    const hp = hyperparameters(j);
    return el("section", { class: "card", "data-testid": "job-detail" },
      el("div", { class: "kv" },
        el("div", {}, "base model"), el("div", { class: "mono" }, j.model, " ", copyButton(j.model)),
        el("div", {}, "output model"), el("div", { class: "mono", "data-testid": "output-model" }, j.fine_tuned_model || "—", " ", j.fine_tuned_model ? copyButton(j.fine_tuned_model) : null),
        el("div", {}, "environment"), el("div", {}, d.summary.owner ? `${d.summary.owner.project} / ${d.summary.owner.stack} / ${d.summary.owner.resource}` : "unmanaged"),
        el("div", {}, "method"), el("div", {}, (j.method && j.method.type) || "supervised"),
        el("div", {}, "hyperparameters"), el("div", { class: "mono", "data-testid": "hyperparameters" }, Object.entries(hp).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join("  ")),
        el("div", {}, "seed"), el("div", {}, j.seed),
        el("div", {}, "trained tokens"), el("div", { "data-testid": "trained-tokens" }, fmtNum(j.trained_tokens)),
        el("div", {}, "cost"), el("div", { "data-testid": "cost" }, `estimated ${fmtUsd(d.cost.estimatedUsd)}`, el("span", { class: "muted" }, " (file size, ~4 bytes a token)"), ` · actual ${fmtUsd(d.cost.actualUsd)}`,
          d.cost.pricePerMillionTokens === null ? el("span", { class: "muted" }, " · no price known for this model") : el("span", { class: "muted" }, ` · $${d.cost.pricePerMillionTokens}/1M tokens`)),
        ...fileLine("training file", d.files.training, j.training_file),
        ...fileLine("validation file", d.files.validation, j.validation_file),
        ...fileLine("result file", d.files.result, j.result_files && j.result_files[0]),
        el("div", {}, "dataset sha256"), el("div", { class: "mono" }, d.summary.datasetHash || "—"),
        el("div", {}, "created"), el("div", {}, fmtTime(j.created_at)),
        el("div", {}, "finished"), el("div", {}, fmtTime(j.finished_at)),
        el("div", {}, "estimated finish"), el("div", {}, fmtTime(j.estimated_finish))));
  }

  function errorPanel(job) {
    if (!job.error || !job.error.message) return null;
    return el("section", { class: "error-panel", "data-testid": "error-panel" }, el("strong", {}, "The job failed"),
      el("div", { class: "kv" }, el("div", {}, "code"), el("div", { class: "mono", "data-testid": "error-code" }, job.error.code || "—"),
        el("div", {}, "param"), el("div", { class: "mono" }, job.error.param || "—"),
        el("div", {}, "message"), el("div", { "data-testid": "error-message" }, job.error.message)));
  }

  function checkpointTable(checkpoints, bestId) {
    if (!checkpoints.length) return el("p", { class: "muted" }, "no checkpoints yet");
    return el("table", { "data-testid": "checkpoints" }, el("thead", {}, el("tr", {}, el("th", {}, "step"), el("th", {}, "full valid loss"), el("th", {}, "train loss"), el("th", {}, "checkpoint model"))),
      el("tbody", {}, ...checkpoints.map((c) => el("tr", { class: c.id === bestId ? "best" : "", "data-testid": "checkpoint", "data-step": c.step_number, "data-best": c.id === bestId ? "true" : "false" },
        el("td", {}, c.step_number, c.id === bestId ? " ★ best" : ""), el("td", {}, c.metrics.full_valid_loss ?? "—"), el("td", {}, c.metrics.train_loss ?? "—"),
        el("td", { class: "mono" }, c.fine_tuned_model_checkpoint, " ", copyButton(c.fine_tuned_model_checkpoint))))));
  }

  function eventLine(e) {
    return el("div", { class: e.level, "data-event": e.id }, `${fmtTime(e.created_at)}  ${e.level.padEnd(5)}  ${e.message}`);
  }

  async function evaluationCard(model) {
    const card = el("section", { class: "card", "data-testid": "evaluations" }, el("h2", {}, "Evaluations"));
    if (!model) { card.append(el("p", { class: "muted" }, "no model yet")); return card; }
    const reports = await getJson(`/api/evaluations?model=${encodeURIComponent(model)}`);
    if (!reports.length) { card.append(el("p", { class: "muted" }, "no ModelEvaluation report for this model in .openai-finetune/evaluations/")); return card; }
    for (const r of reports) {
      const delta = typeof r.delta === "number" ? `${r.delta >= 0 ? "+" : ""}${(r.delta * 100).toFixed(1)} points vs ${r.baselineResult ? r.baselineResult.model : "baseline"}` : "no baseline";
      card.append(el("div", { class: "env", "data-evaluation": r.name || r.file },
        el("div", { class: "env-title" }, r.name || r.file, " ", el("span", { class: "status " + (r.passed ? "succeeded" : "failed") }, r.passed ? "passed" : "failed")),
        el("div", {}, `pass rate ${(r.passRate * 100).toFixed(1)}%`, r.counts ? ` (${r.counts.passed}/${r.counts.total})` : "", ` · mean score ${typeof r.meanScore === "number" ? r.meanScore.toFixed(3) : "—"} · ${delta}`),
        r.failures && r.failures.length ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "line"), el("th", {}, "expected"), el("th", {}, "got"))),
          el("tbody", {}, ...r.failures.slice(0, 10).map((f) => el("tr", { "data-failure": f.line }, el("td", {}, f.line), el("td", {}, f.expected), el("td", {}, f.got))))) : null));
    }
    return card;
  }

  async function showJob(id) {
    const d = await getJson(`/api/jobs/${encodeURIComponent(id)}`);
    const j = d.job;
    let rows = M.fromColumns(d.metrics.columns);
    const events = el("div", { class: "events", "data-testid": "events" }, ...d.events.map(eventLine));
    const charts = el("div", { class: "card" });
    const stepCount = el("span", { "data-testid": "step-count" }, rows.length ? String(rows[rows.length - 1].step) : "0");
    const badge = el("span", { "data-testid": "job-status" }, statusBadge(j.status));
    const plots = [];
    const draw = () => {
      for (const p of plots.splice(0)) p && p.destroy();
      charts.replaceChildren(toolbar);
      plots.push(stepChart(charts, j.id, rows, "loss", d.checkpoints, d.bestCheckpoint));
      plots.push(stepChart(charts, j.id, rows, "accuracy", null, null));
      plots.push(epochChart(charts, j.id, rows, d.checkpoints));
      const hint = M.overfittingHint(rows);
      if (hint) charts.append(el("div", { class: "hint", "data-testid": "overfitting" }, hint.message));
      stepCount.textContent = rows.length ? String(rows[rows.length - 1].step) : "0";
    };
    const toolbar = el("div", { class: "toolbar" },
      el("label", {}, el("input", { type: "checkbox", "data-testid": "smoothing", checked: state.smooth, onchange: (e) => { state.smooth = e.target.checked; draw(); } }), " smoothing"),
      el("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: state.smoothing, oninput: (e) => { state.smoothing = Number(e.target.value); if (state.smooth) draw(); } }),
      el("span", { class: "muted" }, `source: ${d.metrics.source === "result_file" ? "result file" : d.metrics.source === "events" ? "metrics events (live)" : "none"}`),
      el("a", { class: "button", href: `/api/jobs/${j.id}/metrics.csv`, download: `${j.id}-metrics.csv`, "data-testid": "download-csv" }, "CSV"),
      el("a", { class: "button", href: `/api/jobs/${j.id}/metrics.json`, download: `${j.id}-metrics.json`, "data-testid": "download-json" }, "JSON"),
      d.metrics.ignoredColumns.length ? el("span", { class: "muted" }, `columns not shown: ${d.metrics.ignoredColumns.join(", ")}`) : null);
    const ckptCard = el("section", { class: "card" }, el("h2", {}, "Checkpoints"), checkpointTable(d.checkpoints, d.bestCheckpoint));
    app.replaceChildren(
      el("h2", {}, el("a", { href: "#/" }, "Jobs"), " / ", el("span", { class: "mono" }, j.id), " ", badge, " step ", stepCount),
      errorPanel(j) || "",
      el("div", { class: "grid2" }, el("div", {}, detailCard(d), ckptCard), el("div", {}, charts, await evaluationCard(j.fine_tuned_model))),
      el("section", { class: "card" }, el("h2", {}, "Events"), events));
    draw();
    window.__ftRendered = { view: "job", at: performance.now(), points: rows.length };
    if (!TERMINAL.has(j.status)) follow(j.id, d.events.length ? d.events[d.events.length - 1].id : "", {
      onEvents: (fresh) => { for (const e of fresh) events.append(eventLine(e)); events.scrollTop = events.scrollHeight; },
      onMetrics: (fresh) => {
        const bySteps = new Map(rows.map((r) => [r.step, r]));
        for (const r of fresh) bySteps.set(r.step, r);
        rows = [...bySteps.values()].sort((a, b) => a.step - b.step);
        draw();
      },
      onJob: (s) => badge.replaceChildren(statusBadge(s.status)),
      onDone: () => { if (location.hash === `#/job/${j.id}`) route(); },
    });
  }

  function follow(id, after, handlers) {
    const source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/live?after=${encodeURIComponent(after)}`);
    const status = document.getElementById("conn-status");
    status.textContent = "live";
    source.addEventListener("events", (m) => handlers.onEvents(JSON.parse(m.data)));
    source.addEventListener("metrics", (m) => handlers.onMetrics(JSON.parse(m.data)));
    source.addEventListener("job", (m) => handlers.onJob(JSON.parse(m.data)));
    source.addEventListener("warning", (m) => { status.textContent = JSON.parse(m.data).message; });
    source.addEventListener("fatal", (m) => { status.textContent = JSON.parse(m.data).message; source.close(); });
    source.addEventListener("done", () => { source.close(); status.textContent = ""; handlers.onDone(); });
    teardown.push(() => { source.close(); status.textContent = ""; });
  }

  // ------------------------------------------------------------------ compare

  async function showCompare(ids) {
    const details = await Promise.all(ids.map((id) => getJson(`/api/jobs/${encodeURIComponent(id)}`)));
    for (const d of details) d.rows = M.fromColumns(d.metrics.columns);
    const steps = [...new Set(details.flatMap((d) => d.rows.map((r) => r.step)))].sort((a, b) => a - b);
    const charts = el("section", { class: "card" }, el("h2", {}, "Overlaid curves"));
    const keys = ["model", "method", "n_epochs", "batch_size", "learning_rate_multiplier", "seed", "training_file", "dataset", "suffix", "trained_tokens"];
    const values = details.map((d) => {
      const hp = hyperparameters(d.job);
      return { model: d.job.model, method: (d.job.method && d.job.method.type) || "supervised", n_epochs: hp.n_epochs, batch_size: hp.batch_size,
        learning_rate_multiplier: hp.learning_rate_multiplier, seed: d.job.seed, training_file: d.job.training_file, dataset: d.summary.datasetHash,
        suffix: d.summary.suffix, trained_tokens: d.job.trained_tokens };
    });
    const differs = keys.filter((k) => new Set(values.map((v) => JSON.stringify(v[k] ?? null))).size > 1);
    const table = el("table", { class: "diff", "data-testid": "hp-diff" },
      el("thead", {}, el("tr", {}, el("th", {}, ""), ...details.map((d, i) => el("th", { style: `color:${COLORS[i % COLORS.length]}` }, d.job.id)))),
      el("tbody", {}, ...keys.map((k) => el("tr", { "data-key": k, "data-differs": differs.includes(k) ? "true" : "false" }, el("td", {}, k),
        ...values.map((v) => el("td", { class: differs.includes(k) ? "differs mono" : "mono" }, v[k] ?? "—"))))));
    app.replaceChildren(el("h2", {}, el("a", { href: "#/" }, "Jobs"), " / compare ", ids.length, " jobs"), charts,
      el("section", { class: "card" }, el("h2", {}, `Hyperparameters (${differs.length} differ)`), table));
    for (const col of ["train_loss", "valid_loss"]) {
      const holder = el("div", { class: "chart", "data-testid": "curve", "data-job": ids.join(","), "data-metric": col, "data-points": steps.length });
      charts.append(el("h3", {}, col), holder);
      const data = [steps, ...details.map((d) => {
        const at = new Map(d.rows.map((r) => [r.step, r[col]]));
        const raw = steps.map((s) => (at.has(s) ? at.get(s) : null));
        return state.smooth ? M.smooth(raw, state.smoothing) : raw;
      })];
      new uPlot({ width: chartWidth(charts), height: 220, scales: { x: { time: false } },
        series: [{ label: "step" }, ...details.map((d, i) => ({ label: d.job.id, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true }))] }, data, holder);
    }
  }

  // ------------------------------------------------------------------ routing

  async function route() {
    for (const t of teardown.splice(0)) t();
    const hash = location.hash || "#/";
    try {
      let m;
      if ((m = /^#\/job\/([^/]+)$/.exec(hash))) await showJob(decodeURIComponent(m[1]));
      else if ((m = /^#\/compare\/(.+)$/.exec(hash))) await showCompare(m[1].split(",").map(decodeURIComponent));
      else await showList();
    } catch (err) {
      app.replaceChildren(el("div", { class: "error-panel", "data-testid": "load-error" }, `Could not load: ${err.message}`));
    }
  }
  window.addEventListener("hashchange", route);
  route();
})();
