/*
 * app.js - flowrec's web view.  Reads the view from the address (goquery's
 * names: query, ifaces, condition, first, last, hosts, sort_by, n), asks
 * the API's POST /_query for goProbe results.Result documents and draws
 * the top-N table, the stacked time series (in up, out mirrored down, the
 * top rows and an "other" band), the interface overview (the API's list,
 * flowq list's numbers with the kernel drops) and, for a fleet query
 * (hosts), each host's status.  The token,
 * when the API wants one, comes from #token=... or a prompt, lives in
 * sessionStorage and goes out as a bearer header; no cookies.
 *
 * Plain JavaScript, no build step, nothing fetched from elsewhere.
 */
'use strict';

(function () {

var API = '../_query';
var TOKEN_KEY = 'flowrec.token';
var VIEW_KEYS = ['query', 'ifaces', 'condition', 'first', 'last', 'hosts',
    'sort_by', 'n'];
var DEFAULTS = { query: 'talk_src', ifaces: 'any', first: '-24h',
    sort_by: 'bytes', n: '10' };
var SERIES_MAX = 10;		/* bands besides "other" */
var SVGNS = 'http://www.w3.org/2000/svg';

/* Column order of goquery's tables: labels first, then the attributes. */
var COLUMNS = ['time', 'host', 'iface', 'sip', 'dip', 'dport', 'proto',
    'vlan'];
var COLUMN_TITLES = { time: 'time', host: 'host', iface: 'iface',
    sip: 'sip', dip: 'dip', dport: 'dport', proto: 'proto', vlan: 'vlan' };

/* The protocol names flowq prints (src/cond.c's table). */
var PROTOS = { 0: 'HOPOPT', 1: 'ICMP', 2: 'IGMP', 4: 'IP-ENCAP', 6: 'TCP',
    8: 'EGP', 17: 'UDP', 27: 'RDP', 33: 'DCCP', 41: 'IPv6',
    43: 'IPv6-Route', 44: 'IPv6-Frag', 46: 'RSVP', 47: 'GRE',
    50: 'IPSEC-ESP', 51: 'IPSEC-AH', 58: 'IPv6-ICMP', 59: 'IPv6-NoNxt',
    60: 'IPv6-Opts', 88: 'EIGRP', 89: 'OSPFIGP', 103: 'PIM', 112: 'VRRP',
    115: 'L2TP', 132: 'SCTP', 136: 'UDPLite', 137: 'MPLS-in-IP' };

var PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2',
    '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#6b8ec7'];
var OTHER_COLOR = '#bab0ac';

var current = null;		/* AbortController of the view loading */

/* ------------------------------------------------------------ units */

/*
 * goquery's units, as flowq prints them (goProbe #329): below 1000 (1025
 * bytes) the plain number, else "1.08 M", "59.27 kB".
 */
function fmtCount(v) {
	var units = [' ', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
	var f = v, i = 0;

	if (v < 1000)
		return String(v);

	while (v >= 1000) {
		v = Math.floor(v / 1000);
		f /= 1000;
		i++;
	}
	return f.toFixed(2) + ' ' + units[i];
}

function fmtSize(v) {
	var units = [' B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
	var f = v, i = 0;

	if (v <= 1024)
		return String(v);

	while (v > 1024) {
		v = Math.floor(v / 1024);
		f /= 1024;
		i++;
	}
	return f.toFixed(2) + ' ' + units[i];
}

function fmtPercent(v, total) {
	return total > 0 && v > 0 ? (100 * v / total).toFixed(2) : '0';
}

function pad2(n) {
	return (n < 10 ? '0' : '') + n;
}

/* "2006-01-02 15:04:05" in local time, as flowq prints times. */
function fmtTime(sec) {
	var d = new Date(sec * 1000);

	return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' +
	    pad2(d.getDate()) + ' ' + pad2(d.getHours()) + ':' +
	    pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
}

/* Seconds since the epoch of a JSON time: a number or RFC 3339 text. */
function toSec(v) {
	if (typeof v === 'number')
		return v;
	if (typeof v === 'string' && v !== '') {
		var ms = Date.parse(v);
		if (!isNaN(ms))
			return ms / 1000;
	}
	return null;
}

/* ------------------------------------------------------------ DOM */

function $(id) {
	return document.getElementById(id);
}

function el(tag, cls, text) {
	var e = document.createElement(tag);

	if (cls)
		e.className = cls;
	if (text !== undefined && text !== null)
		e.textContent = text;
	return e;
}

function svg(tag, attrs) {
	var e = document.createElementNS(SVGNS, tag);

	for (var k in attrs)
		e.setAttribute(k, attrs[k]);
	return e;
}

function clear(e) {
	while (e.firstChild)
		e.removeChild(e.firstChild);
}

/* The state, and when it was reached (ms since the view was asked for). */
function setState(s) {
	document.body.setAttribute('data-state', s);
	if (typeof performance === 'object' && s !== 'loading')
		document.body.setAttribute('data-ms',
		    Math.round(performance.now() - loadStart));
}

var loadStart = 0;

function setStatus(text, cls) {
	var s = $('status');

	s.textContent = text || '';
	s.className = cls || '';
}

/* ------------------------------------------------------------ the view */

/* The view in the address, with the defaults for what it leaves out. */
function readView() {
	var p = new URLSearchParams(location.search);
	var v = {};

	VIEW_KEYS.forEach(function (k) {
		var x = p.get(k);
		v[k] = x !== null && x !== '' ? x : (DEFAULTS[k] || '');
	});
	return v;
}

function viewURL(v) {
	var p = new URLSearchParams();

	VIEW_KEYS.forEach(function (k) {
		if (v[k] !== undefined && v[k] !== '')
			p.set(k, v[k]);
	});
	return location.pathname + '?' + p.toString();
}

function fillForm(v) {
	var f = $('view');

	VIEW_KEYS.forEach(function (k) {
		f.elements[k].value = v[k] || '';
	});
	f.elements.preset.value = '';
	if (v.last === '') {
		for (var i = 0; i < f.elements.preset.options.length; i++) {
			if (f.elements.preset.options[i].value === v.first)
				f.elements.preset.value = v.first;
		}
	}
}

function formView() {
	var f = $('view');
	var v = {};

	VIEW_KEYS.forEach(function (k) {
		v[k] = f.elements[k].value.trim();
	});
	return v;
}

function go(v) {
	history.pushState(null, '', viewURL(v));
	load();
}

/* ------------------------------------------------------------ the API */

function token() {
	try {
		return sessionStorage.getItem(TOKEN_KEY);
	} catch (e) {
		return null;
	}
}

function setToken(t) {
	try {
		if (t)
			sessionStorage.setItem(TOKEN_KEY, t);
		else
			sessionStorage.removeItem(TOKEN_KEY);
	} catch (e) {
		/* no storage: the token lasts as long as the page */
	}
	memToken = t;
}

var memToken = null;

/* Take #token=... into sessionStorage and off the address bar at once. */
function takeFragmentToken() {
	var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);

	if (m === null)
		return;
	setToken(decodeURIComponent(m[1]));
	history.replaceState(null, '', location.pathname + location.search);
}

function ApiError(status, message) {
	this.status = status;
	this.message = message;
}

/* POST one query.Args document; resolves to the parsed answer. */
function query(args, signal) {
	var headers = { 'Content-Type': 'application/json',
	    'Accept': 'application/json' };
	var t = token() || memToken;

	if (t)
		headers.Authorization = 'Bearer ' + t;
	return fetch(API, { method: 'POST', headers: headers,
	    body: JSON.stringify(args), credentials: 'omit', cache: 'no-store',
	    signal: signal }).then(function (r) {
		return r.text().then(function (text) {
			var doc = null;

			try {
				doc = JSON.parse(text);
			} catch (e) {
				doc = null;
			}
			if (!r.ok)
				throw new ApiError(r.status, errorText(r, doc,
				    text));
			if (doc === null)
				throw new ApiError(r.status,
				    'the API answered no JSON');
			return doc;
		});
	});
}

/* The message of an error answer, whatever its shape. */
function errorText(r, doc, text) {
	var m = null;

	if (doc !== null && typeof doc === 'object') {
		if (typeof doc.error === 'string')
			m = doc.error;
		else if (doc.error && typeof doc.error.message === 'string')
			m = doc.error.message;
		else if (typeof doc.message === 'string')
			m = doc.message;
		else if (typeof doc.detail === 'string')
			m = doc.detail;
		else if (doc.status && typeof doc.status.message === 'string')
			m = doc.status.message;
	}
	if (m === null)
		m = text.trim().slice(0, 300) || r.statusText;
	return 'HTTP ' + r.status + ': ' + m;
}

/* The base of every request of a view. */
function baseArgs(v) {
	var a = { query: v.query, ifaces: v.ifaces || 'any', format: 'json',
	    sort_by: v.sort_by === 'packets' ? 'packets' : 'bytes' };

	if (v.condition)
		a.condition = v.condition;
	if (v.first)
		a.first = v.first;
	if (v.last)
		a.last = v.last;
	if (v.hosts)
		a.query_hosts = v.hosts;
	return a;
}

/* ------------------------------------------------------------ results */

/* Counters of a row or totals: goProbe's br/bs/pr/ps (or the long names). */
function counters(c) {
	c = c || {};
	return {
		br: c.br !== undefined ? c.br : (c.bytes_rcvd || 0),
		bs: c.bs !== undefined ? c.bs : (c.bytes_sent || 0),
		pr: c.pr !== undefined ? c.pr : (c.packets_rcvd || 0),
		ps: c.ps !== undefined ? c.ps : (c.packets_sent || 0)
	};
}

/* The raw value of column k in a row ("" when absent). */
function rawValue(row, k) {
	var l = row.labels || {}, a = row.attributes || {};
	var v;

	if (k === 'time')
		v = l.timestamp !== undefined ? l.timestamp : l.time;
	else if (k === 'host')
		v = l.host !== undefined ? l.host : l.hostname;
	else if (k === 'iface')
		v = l.iface;
	else {
		v = a[k];
		/* goProbe leaves zero numbers out (omitempty) */
		if (v === undefined && (k === 'dport' || k === 'proto' ||
		    k === 'vlan'))
			v = 0;
	}
	return v === undefined || v === null ? '' : v;
}

/* The text flowq shows for a column value. */
function showValue(k, v) {
	if (k === 'proto' && v !== '')
		return PROTOS[v] || String(v);
	if (k === 'time' && v !== '') {
		var s = toSec(v);
		return s === null ? String(v) : fmtTime(s);
	}
	return String(v);
}

/*
 * The columns of a result, in goquery's order: its attributes, the time
 * when rows carry one, the interface when several were queried (as flowq
 * prints it), the host of a fleet query (hosts in the view).
 */
function columnsOf(res, v) {
	var attrs = (res.query && res.query.attributes) || [];
	var rows = res.rows || [];
	var ifaces = (res.summary && res.summary.interfaces) || [];

	return COLUMNS.filter(function (k) {
		if (attrs.indexOf(k) >= 0)
			return true;
		if (k === 'time')
			return rows.some(function (r) {
				return rawValue(r, 'time') !== '';
			});
		if (k === 'iface')
			return ifaces.length > 1;
		if (k === 'host')
			return v.hosts !== '' && v.hosts !== undefined;
		return false;
	});
}

/* Condition text for one value ("" when it cannot be one). */
function condTerm(k, v) {
	if (v === '' || ['sip', 'dip', 'dport', 'proto', 'vlan'].indexOf(k) < 0)
		return '';
	return k + ' = ' + v;
}

/* The condition that selects one row (its attributes). */
function rowCondition(cols, row) {
	var terms = [];

	cols.forEach(function (k) {
		var t = condTerm(k, rawValue(row, k));
		if (t !== '')
			terms.push(t);
	});
	return terms.join(' & ');
}

function andCondition(a, b) {
	if (!a)
		return b;
	if (!b)
		return a;
	return '(' + a + ') & (' + b + ')';
}

function rowKey(cols, row) {
	return cols.map(function (k) {
		return String(rawValue(row, k));
	}).join(',');
}

function rowLabel(cols, row) {
	return cols.map(function (k) {
		return showValue(k, rawValue(row, k));
	}).join(' ');
}

/* The result's status, or null when it has rows to show. */
function emptyMessage(res) {
	var s = res.status || {};

	if (s.code && s.code !== 'ok')
		return s.message || s.code;
	if (!res.rows || res.rows.length === 0)
		return 'query returned no results';
	return null;
}

/* ------------------------------------------------------------ top table */

function th(text, cls) {
	return el('th', cls, text);
}

function drawTop(v, res) {
	var table = $('top-table');
	var thead = table.tHead, tbody = table.tBodies[0], tfoot = table.tFoot;
	var cols = columnsOf(res, v);
	var rows = res.rows || [];
	var tot = counters(res.summary && res.summary.totals);
	var ptot = tot.pr + tot.ps, btot = tot.br + tot.bs;
	var byPackets = v.sort_by === 'packets';
	var max = 0, tr;

	clear(thead);
	clear(tbody);
	clear(tfoot);
	tr = el('tr');
	cols.forEach(function (k) {
		tr.appendChild(th(COLUMN_TITLES[k], 'attr'));
	});
	['packets in', 'packets out', '%', 'bytes in', 'bytes out', '%']
	    .forEach(function (t) {
		tr.appendChild(th(t, 'num'));
	});
	tr.appendChild(th(byPackets ? 'packets in / out' : 'bytes in / out',
	    'bar'));
	thead.appendChild(tr);

	rows.forEach(function (r) {
		var c = counters(r.counters);
		max = Math.max(max, byPackets ? c.pr + c.ps : c.br + c.bs);
	});
	rows.forEach(function (r) {
		var c = counters(r.counters);
		var tr = el('tr', 'row');
		var cond = rowCondition(cols, r);

		tr.setAttribute('data-key', rowKey(cols, r));
		tr.setAttribute('data-counters',
		    [c.pr, c.ps, c.br, c.bs].join(','));
		cols.forEach(function (k) {
			tr.appendChild(el('td', 'attr',
			    showValue(k, rawValue(r, k))));
		});
		tr.appendChild(el('td', 'num', fmtCount(c.pr)));
		tr.appendChild(el('td', 'num', fmtCount(c.ps)));
		tr.appendChild(el('td', 'num share',
		    fmtPercent(c.pr + c.ps, ptot)));
		tr.appendChild(el('td', 'num', fmtSize(c.br)));
		tr.appendChild(el('td', 'num', fmtSize(c.bs)));
		tr.appendChild(el('td', 'num share',
		    fmtPercent(c.br + c.bs, btot)));
		tr.appendChild(barCell(byPackets ? c.pr : c.br,
		    byPackets ? c.ps : c.bs, max));
		if (cond !== '') {
			tr.tabIndex = 0;
			tr.title = 'narrow to ' + cond;
			tr.addEventListener('click', function () {
				drill(v, cond, cols, r);
			});
			tr.addEventListener('keydown', function (e) {
				if (e.key === 'Enter')
					drill(v, cond, cols, r);
			});
		}
		tbody.appendChild(tr);
	});

	tr = el('tr', 'totals');
	tr.appendChild(el('td', 'attr', 'totals'));
	if (cols.length > 1)
		tr.firstChild.colSpan = cols.length;
	tr.appendChild(el('td', 'num', fmtCount(tot.pr)));
	tr.appendChild(el('td', 'num', fmtCount(tot.ps)));
	tr.appendChild(el('td', 'num', ''));
	tr.appendChild(el('td', 'num', fmtSize(tot.br)));
	tr.appendChild(el('td', 'num', fmtSize(tot.bs)));
	tr.appendChild(el('td', 'num', ''));
	tr.appendChild(el('td', 'bar', ''));
	tfoot.appendChild(tr);
}

/* In and out of one row as two bars, scaled to the largest row. */
function barCell(vin, vout, max) {
	var td = el('td', 'bar');
	var box = el('div', 'bars');
	var bi = el('span', 'in'), bo = el('span', 'out');

	bi.style.width = (max > 0 ? 100 * vin / max : 0) + '%';
	bo.style.width = (max > 0 ? 100 * vout / max : 0) + '%';
	bi.title = 'in';
	bo.title = 'out';
	box.appendChild(bi);
	box.appendChild(bo);
	td.appendChild(box);
	return td;
}

/* A click on a row: the same query narrowed to that row. */
function drill(v, cond, cols, row) {
	var n = {};

	VIEW_KEYS.forEach(function (k) {
		n[k] = v[k];
	});
	n.condition = andCondition(v.condition, cond);
	if (cols.indexOf('iface') >= 0 && rawValue(row, 'iface') !== '')
		n.ifaces = rawValue(row, 'iface');
	go(n);
}

/* ------------------------------------------------------------ series */

/*
 * The time series: totals per bin (query "time"), and the top rows per
 * bin (query "time,<attributes>" narrowed to those rows); "other" is what
 * the top rows leave of each bin.
 */
function loadSeries(v, top, signal) {
	/* host is a label, not an attribute: a band sums a key's hosts */
	var cols = columnsOf(top, v).filter(function (k) {
		return k !== 'time' && k !== 'host';
	});
	var rows = (top.rows || []).slice(0, SERIES_MAX);
	var conds = [], keys = [], labels = [];
	var total = baseArgs(v), split;
	var sum = top.summary || {};
	var first = toSec(sum.time_first), last = toSec(sum.time_last);
	var span = first !== null && last !== null ? last - first : 0;
	/* 5 minutes up to 36 h, hours up to 60 days, days beyond */
	var res = span > 60 * 86400 ? '1d' : span > 36 * 3600 ? '1h' : '5m';
	var step = res === '1d' ? 86400 : res === '1h' ? 3600 : 300;
	var range = { first: first, last: last, step: step };

	rows.forEach(function (r) {
		var c = rowCondition(cols, r);
		if (c !== '' && keys.indexOf(rowKey(cols, r)) < 0) {
			conds.push(c);
			keys.push(rowKey(cols, r));
			labels.push(rowLabel(cols, r));
		}
	});
	total.query = 'time';
	total.sort_by = 'time';
	total.time_resolution = res;
	total.num_results = 100000;
	if (conds.length === 0)
		return query(total, signal).then(function (t) {
			return { total: t, split: null, keys: [], labels: [],
			    cols: cols, range: range };
		});
	split = baseArgs(v);
	split.query = 'time,' + cols.join(',');
	split.condition = andCondition(v.condition, conds.map(function (c) {
		return conds.length > 1 && c.indexOf('&') >= 0 ?
		    '(' + c + ')' : c;
	}).join(' | '));
	split.sort_by = 'time';
	split.time_resolution = res;
	split.num_results = 100000;
	return Promise.all([query(total, signal), query(split, signal)])
	    .then(function (a) {
		return { total: a[0], split: a[1], keys: keys, labels: labels,
		    cols: cols, range: range };
	});
}

/* Bins: time -> {in: [per band], out: [per band]}; the last band other. */
function binSeries(s, byPackets) {
	var nb = s.keys.length + 1;
	var bins = {};
	var index = {};

	function bin(t) {
		if (!bins[t]) {
			bins[t] = { t: t, in: [], out: [], tin: 0, tout: 0 };
			for (var i = 0; i < nb; i++) {
				bins[t].in.push(0);
				bins[t].out.push(0);
			}
		}
		return bins[t];
	}
	s.keys.forEach(function (k, i) {
		index[k] = i;
	});
	(s.total.rows || []).forEach(function (r) {
		var t = toSec(rawValue(r, 'time'));
		var c = counters(r.counters);
		if (t === null)
			return;
		var b = bin(t);
		b.tin += byPackets ? c.pr : c.br;
		b.tout += byPackets ? c.ps : c.bs;
	});
	if (s.split !== null) {
		(s.split.rows || []).forEach(function (r) {
			var t = toSec(rawValue(r, 'time'));
			var i = index[rowKey(s.cols, r)];
			var c = counters(r.counters);
			if (t === null || i === undefined)
				return;
			var b = bin(t);
			b.in[i] += byPackets ? c.pr : c.br;
			b.out[i] += byPackets ? c.ps : c.bs;
		});
	}
	return Object.keys(bins).map(function (t) {
		var b = bins[t];
		var sin = 0, sout = 0;
		for (var i = 0; i < nb - 1; i++) {
			sin += b.in[i];
			sout += b.out[i];
		}
		b.in[nb - 1] = Math.max(0, b.tin - sin);
		b.out[nb - 1] = Math.max(0, b.tout - sout);
		return b;
	}).sort(function (a, b) {
		return a.t - b.t;
	});
}

/* The bin width: the resolution asked for, else the smallest step. */
function binWidth(bins, step) {
	var w = Infinity;

	if (step > 0)
		return step;
	for (var i = 1; i < bins.length; i++)
		w = Math.min(w, bins[i].t - bins[i - 1].t);
	return isFinite(w) && w > 0 ? w : 300;
}

function drawSeries(v, s) {
	var box = $('chart-box'), legend = $('legend');
	var byPackets = v.sort_by === 'packets';
	var fmt = byPackets ? fmtCount : fmtSize;
	var bins = binSeries(s, byPackets);
	var nb = s.keys.length + 1;
	var W = Math.max(480, box.clientWidth || 900), H = 300;
	var ml = 90, mr = 16, mt = 14, mb = 28;
	var pw = W - ml - mr, ph = H - mt - mb;
	var maxIn = 0, maxOut = 0, t0, t1, step, y0, sy, sx, chart, i;

	clear(box);
	clear(legend);
	$('series-sub').textContent = (byPackets ? 'packets' : 'bytes') +
	    ', in up, out down';
	if (bins.length === 0) {
		box.appendChild(el('p', 'empty', 'no traffic in this range'));
		return;
	}
	bins.forEach(function (b) {
		var si = 0, so = 0;
		for (var i = 0; i < nb; i++) {
			si += b.in[i];
			so += b.out[i];
		}
		maxIn = Math.max(maxIn, si);
		maxOut = Math.max(maxOut, so);
	});
	step = binWidth(bins, s.range ? s.range.step : 0);
	t0 = bins[0].t;
	t1 = bins[bins.length - 1].t + step;
	/* the whole time span of the data, even where this selection has none */
	if (s.range && s.range.first !== null && s.range.first < t0)
		t0 = s.range.first;
	if (s.range && s.range.last !== null && s.range.last > t1)
		t1 = s.range.last;
	if (maxIn + maxOut === 0)
		maxIn = 1;
	sy = ph / (maxIn + maxOut);
	y0 = mt + maxIn * sy;
	sx = pw / (t1 - t0);

	chart = svg('svg', { id: 'chart', width: W, height: H,
	    viewBox: '0 0 ' + W + ' ' + H, role: 'img',
	    'aria-label': 'stacked ' + (byPackets ? 'packets' : 'bytes') +
	    ' over time' });

	/* one path per band and direction, a rectangle per bin */
	for (i = 0; i < nb; i++) {
		var color = i === nb - 1 ? OTHER_COLOR : PALETTE[i %
		    PALETTE.length];
		var din = '', dout = '';
		bins.forEach(function (b) {
			var x0 = ml + (b.t - t0) * sx;
			var x1 = ml + (b.t + step - t0) * sx;
			var below = 0, j;
			for (j = 0; j < i; j++)
				below += b.in[j];
			if (b.in[i] > 0)
				din += 'M' + x0.toFixed(1) + ' ' +
				    (y0 - below * sy).toFixed(1) + 'H' +
				    x1.toFixed(1) + 'V' +
				    (y0 - (below + b.in[i]) * sy).toFixed(1) +
				    'H' + x0.toFixed(1) + 'Z';
			below = 0;
			for (j = 0; j < i; j++)
				below += b.out[j];
			if (b.out[i] > 0)
				dout += 'M' + x0.toFixed(1) + ' ' +
				    (y0 + below * sy).toFixed(1) + 'H' +
				    x1.toFixed(1) + 'V' +
				    (y0 + (below + b.out[i]) * sy).toFixed(1) +
				    'H' + x0.toFixed(1) + 'Z';
		});
		var label = i === nb - 1 ? 'other' : s.labels[i];
		if (din !== '')
			chart.appendChild(band(din, color, 'in', label));
		if (dout !== '')
			chart.appendChild(band(dout, color, 'out', label));
		var li = el('li');
		var sw = el('span', 'swatch');
		sw.style.background = color;
		li.appendChild(sw);
		li.appendChild(document.createTextNode(label));
		legend.appendChild(li);
	}

	/* axes: zero line, the largest in and out, times along the bottom */
	chart.appendChild(svg('line', { x1: ml, x2: ml + pw, y1: y0, y2: y0,
	    class: 'axis' }));
	chart.appendChild(svg('line', { x1: ml, x2: ml, y1: mt, y2: mt + ph,
	    class: 'axis' }));
	if (y0 - mt > 24 && mt + ph - y0 > 24)
		chart.appendChild(text(ml - 6, y0 + 4, '0', 'end'));
	if (maxIn > 0)
		chart.appendChild(text(ml - 6, mt + 10, 'in ' + fmt(maxIn),
		    'end'));
	if (maxOut > 0)
		chart.appendChild(text(ml - 6, mt + ph, 'out ' + fmt(maxOut),
		    'end'));
	var tz = new Date(t0 * 1000).getTimezoneOffset() * 60;
	var every = tickStep((t1 - t0) / Math.max(1, Math.floor(pw / 110)));
	for (var t = Math.ceil((t0 - tz) / every) * every + tz; t <= t1;
	    t += every) {
		var x = ml + (t - t0) * sx;
		var d = fmtTime(t);
		chart.appendChild(svg('line', { x1: x, x2: x, y1: mt + ph,
		    y2: mt + ph + 4, class: 'axis' }));
		chart.appendChild(text(x, H - 8, every >= 86400 ?
		    d.slice(5, 10) : (t1 - t0) > 86400 ? d.slice(5, 16) :
		    d.slice(11, 16), 'middle'));
	}
	box.appendChild(chart);
}

/* A round time step of at least min seconds. */
function tickStep(min) {
	var steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
	    43200, 86400, 172800, 604800, 1209600, 2592000];

	for (var i = 0; i < steps.length; i++) {
		if (steps[i] >= min)
			return steps[i];
	}
	return Math.ceil(min / 2592000) * 2592000;
}

function band(d, color, dir, label) {
	var p = svg('path', { d: d, fill: color, class: 'band ' + dir });
	var title = svg('title', {});

	title.textContent = label + ' (' + dir + ')';
	p.appendChild(title);
	return p;
}

function text(x, y, s, anchor) {
	var t = svg('text', { x: x, y: y, 'text-anchor': anchor || 'start' });

	t.textContent = s;
	return t;
}

/* ------------------------------------------------------------ interfaces */

/*
 * flowq list's overview: the API's list answer ({"interfaces": [...]}, as
 * flowq list -e json prints it), or per-interface totals of an "iface"
 * query where the API has no list.
 */
function loadIfaces(v, signal) {
	var a = { list: true, ifaces: v.ifaces || 'any', format: 'json' };

	if (v.first)
		a.first = v.first;
	if (v.last)
		a.last = v.last;
	if (v.hosts)
		a.query_hosts = v.hosts;
	return query(a, signal).then(function (doc) {
		if (doc && Array.isArray(doc.interfaces))
			return doc.interfaces;
		return null;
	}, function (e) {
		if (e instanceof ApiError && e.status === 401)
			throw e;
		return null;
	}).then(function (list) {
		if (list !== null)
			return list;
		var q = baseArgs(v);
		q.query = 'iface';
		delete q.condition;
		q.num_results = 1000;
		return query(q, signal).then(function (res) {
			return (res.rows || []).map(function (r) {
				var c = counters(r.counters);
				return { iface: rawValue(r, 'iface'),
				    host: rawValue(r, 'host'),
				    packets: c.pr + c.ps, bytes: c.br + c.bs };
			});
		});
	});
}

function drawIfaces(v, list) {
	var table = $('iface-table');
	var thead = table.tHead, tbody = table.tBodies[0], tfoot = table.tFoot;
	var hasHost = list.some(function (i) {
		return i.host;
	});
	var tot = { packets: 0, bytes: 0, flows: 0, drops: 0 };
	var tr = el('tr');

	clear(thead);
	clear(tbody);
	clear(tfoot);
	if (hasHost)
		tr.appendChild(th('host', 'attr'));
	['iface'].forEach(function (t) {
		tr.appendChild(th(t, 'attr'));
	});
	['packets', 'bytes', 'flows', 'drops', 'first', 'last']
	    .forEach(function (t) {
		tr.appendChild(th(t, 'num'));
	});
	thead.appendChild(tr);
	list.forEach(function (i) {
		var drops = i.kernel_drops !== undefined ? i.kernel_drops :
		    i.drops;
		var tr = el('tr', 'row');
		var first = toSec(i.first), last = toSec(i.last);

		tr.setAttribute('data-iface', i.iface);
		tr.setAttribute('data-counts', [i.packets || 0, i.bytes || 0,
		    i.flows !== undefined ? i.flows : '', drops !== undefined ?
		    drops : ''].join(','));
		if (hasHost)
			tr.appendChild(el('td', 'attr', i.host || ''));
		tr.appendChild(el('td', 'attr', i.iface));
		tr.appendChild(el('td', 'num', fmtCount(i.packets || 0)));
		tr.appendChild(el('td', 'num', fmtSize(i.bytes || 0)));
		tr.appendChild(el('td', 'num', i.flows !== undefined ?
		    fmtCount(i.flows) : ''));
		var td = el('td', 'num drops', drops !== undefined ?
		    fmtCount(drops) : '');
		if (drops > 0)
			td.className += ' alert';
		tr.appendChild(td);
		tr.appendChild(el('td', 'num', first !== null ?
		    fmtTime(first) : ''));
		tr.appendChild(el('td', 'num', last !== null ?
		    fmtTime(last) : ''));
		tr.tabIndex = 0;
		tr.title = 'show ' + i.iface + ' only';
		tr.addEventListener('click', function () {
			var n = readView();
			n.ifaces = i.iface;
			go(n);
		});
		tbody.appendChild(tr);
		tot.packets += i.packets || 0;
		tot.bytes += i.bytes || 0;
		tot.flows += i.flows || 0;
		tot.drops += drops || 0;
	});
	tr = el('tr', 'totals');
	tr.appendChild(el('td', 'attr', list.length + ' listed'));
	if (hasHost)
		tr.firstChild.colSpan = 2;
	tr.appendChild(el('td', 'num', fmtCount(tot.packets)));
	tr.appendChild(el('td', 'num', fmtSize(tot.bytes)));
	tr.appendChild(el('td', 'num', fmtCount(tot.flows)));
	tr.appendChild(el('td', 'num' + (tot.drops > 0 ? ' alert' : ''),
	    fmtCount(tot.drops)));
	tr.appendChild(el('td', 'num', ''));
	tr.appendChild(el('td', 'num', ''));
	tfoot.appendChild(tr);
}

/*
 * A fleet query's hosts (hosts in the view): each host's status from the
 * answer's hosts_statuses ({"host": {"code", "message"}}), errors marked.
 */
function drawHosts(v, res) {
	var st = (res && res.hosts_statuses) || {};
	var names = Object.keys(st).sort();
	var tbody = $('hosts-table').tBodies[0], thead = $('hosts-table').tHead;
	var tr = el('tr');

	clear(thead);
	clear(tbody);
	$('hosts').hidden = !v.hosts || names.length === 0;
	if ($('hosts').hidden)
		return;
	['host', 'status', 'message'].forEach(function (t) {
		tr.appendChild(th(t, 'attr'));
	});
	thead.appendChild(tr);
	names.forEach(function (h) {
		var s = st[h] || {};
		var row = el('tr');
		var code = el('td', 'attr', s.code || '');

		row.setAttribute('data-host', h);
		if (s.code === 'error')
			code.className += ' alert';
		row.appendChild(el('td', 'attr', h));
		row.appendChild(code);
		row.appendChild(el('td', 'attr', s.message || ''));
		tbody.appendChild(row);
	});
}

/* ------------------------------------------------------------ loading */

/* Forget every shown number (a refused token shows none). */
function clearData() {
	$('hosts').hidden = true;
	['top-table', 'iface-table', 'hosts-table'].forEach(function (id) {
		var t = $(id);
		clear(t.tHead);
		clear(t.tBodies[0]);
		clear(t.tFoot);
	});
	clear($('chart-box'));
	clear($('legend'));
	$('top-sub').textContent = '';
	$('series-sub').textContent = '';
	$('summary').textContent = '';
}

function showAuth(message) {
	clearData();
	$('data').hidden = true;
	$('auth').hidden = false;
	$('auth-message').textContent = message;
	setStatus('');
	setState('auth');
	$('token-input').focus();
}

function summaryText(res) {
	var s = res.summary || {};
	var h = s.hits || {};
	var first = toSec(s.time_first), last = toSec(s.time_last);
	var parts = [];

	if (first !== null && last !== null)
		parts.push('Timespan [' + fmtTime(first) + ', ' +
		    fmtTime(last) + ']');
	if (s.interfaces)
		parts.push('Interfaces ' + s.interfaces.join(', '));
	if (h.total !== undefined)
		parts.push('displayed top ' + (h.displayed !== undefined ?
		    h.displayed : (res.rows || []).length) + ' hits out of ' +
		    h.total);
	return parts.join(' \u00b7 ');
}

function load() {
	var v = readView();
	var signal;

	/* the first view counts from the navigation, the others from here */
	if (current !== null) {
		current.abort();
		loadStart = performance.now();
	}
	current = typeof AbortController === 'function' ?
	    new AbortController() : null;
	signal = current ? current.signal : undefined;
	fillForm(v);
	document.title = 'flowrec: ' + v.query + (v.condition ? ' where ' +
	    v.condition : '');
	$('auth').hidden = true;
	$('data').hidden = false;
	setState('loading');
	setStatus('loading\u2026', 'busy');

	var top = baseArgs(v);
	top.num_results = Math.max(1, parseInt(v.n, 10) || 10);

	var pIfaces = loadIfaces(v, signal);
	var pTop = query(top, signal);
	var pSeries = pTop.then(function (res) {
		return emptyMessage(res) === null ?
		    loadSeries(v, res, signal) : null;
	});
	Promise.all([pTop, pSeries, pIfaces]).then(function (a) {
		var res = a[0], msg = emptyMessage(res);

		clearData();
		drawIfaces(v, a[2]);
		drawHosts(v, res);
		$('top-sub').textContent = v.query + (v.condition ?
		    ' where ' + v.condition : '') + ', by ' + v.sort_by;
		$('summary').textContent = summaryText(res);
		if (msg !== null) {
			setStatus(msg, 'note');
			drawSeries(v, { total: { rows: [] }, split: null,
			    keys: [], labels: [], cols: [] });
			setState('ready');
			return;
		}
		drawTop(v, res);
		drawSeries(v, a[1]);
		setStatus('');
		setState('ready');
	}).catch(function (e) {
		if (e && e.name === 'AbortError')
			return;
		if (e instanceof ApiError && e.status === 401) {
			var had = token() || memToken;
			setToken(null);
			showAuth('Access denied: the API refused ' + (had ?
			    'this token' : 'the request without a token') +
			    ' (' + e.message + '). Enter the API token ' +
			    '(api.tokens in flowrecd.yaml).');
			return;
		}
		clearData();
		$('data').hidden = true;
		setStatus(e instanceof ApiError ? e.message :
		    'the API could not be reached: ' + (e && e.message), 'error');
		setState('error');
	});
}

/* ------------------------------------------------------------ start */

function start() {
	takeFragmentToken();
	$('view').addEventListener('submit', function (e) {
		e.preventDefault();
		go(formView());
	});
	$('view').elements.preset.addEventListener('change', function (e) {
		var f = $('view');
		if (e.target.value !== '') {
			f.elements.first.value = e.target.value;
			f.elements.last.value = '';
			go(formView());
		}
	});
	$('token-form').addEventListener('submit', function (e) {
		e.preventDefault();
		setToken($('token-input').value.trim());
		$('token-input').value = '';
		load();
	});
	window.addEventListener('popstate', load);
	window.addEventListener('hashchange', function () {
		if (/token=/.test(location.hash)) {
			takeFragmentToken();
			load();
		}
	});
	load();
}

document.addEventListener('DOMContentLoaded', start);

})();
