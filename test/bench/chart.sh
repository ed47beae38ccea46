#!/bin/bash
# chart.sh RESULTS_DIR OUT.png: a grouped bar chart of the medians of a run
# of test/bench/run.sh (its JSON files in RESULTS_DIR, images.json included), drawn with gnuplot:
# on the left the latencies (ms, log scale: 4 ms to 20 s on one axis), on the
# right the memory added per idle pod (kB). Each bar is labelled with its
# median, each group with the podctl/peer ratios. run.sh draws
# docs/benchmarks.png with it after a full run.
set -euo pipefail
dir=${1:?usage: chart.sh RESULTS_DIR OUT.png}
png=${2:?usage: chart.sh RESULTS_DIR OUT.png}
command -v gnuplot >/dev/null || { echo "chart.sh: gnuplot missing (apt-get install gnuplot-nox)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Bars: "panel<TAB>x<TAB>median<TAB>colour<TAB>label", one per tool and group;
# groups 0, 1, ... with their bars side by side around x = group.
# Group labels: "panel<TAB>x<TAB>text" (\n for a line break, for gnuplot).
jq -n -r --slurpfile start "$dir/start-latency.json" --slurpfile exec "$dir/exec-latency.json" \
	--slurpfile mem "$dir/pod-memory.json" --slurpfile lc "$dir/lifecycle.json" --slurpfile img "$dir/images.json" \
	--slurpfile net "$dir/network.json" '
	def med: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r2: (. * 100 | round) as $c | "\($c / 100 | floor).\($c % 100 | tostring | if length < 2 then "0" + . else . end)";
	def ms: if . >= 1000 then (. / 10 | round / 100 | tostring) + "s" elif . >= 100 then (. | round | tostring)
		else (. * 10 | round / 10 | tostring) end;
	def kb: . | round | tostring;
	def colour: {podctl: "#2b6cb0", bwrap: "#38a169", unshare: "#a0aec0", podman: "#dd6b20",
	             "podman-ctr": "#f6ad55", "podman-pod": "#c05621"}[.];
	# bars($panel; $group; [[tool, value, label]...])
	def bars($panel; $g; $list): ($list | length) as $n | (0.8 / 4) as $w
		| range(0; $n) as $i | $list[$i]
		| "\($panel)\t\($g + ($i - ($n - 1) / 2) * $w)\t\(.[1])\t\(.[0] | colour)\t\(.[2])";
	$start[0] as $s | $exec[0].median as $e | $mem[0].variants as $m | $lc[0] as $l | $img[0] as $i | $net[0] as $n
	| ($s.podctl | med) as $pc | ($s.bwrap | med) as $bw | ($s.unshare | med) as $un
	| ($s.podman // [] | if length > 0 then med else null end) as $pm
	| [
	  {panel: "lat", label: ("start-up: /bin/true\\n" + ($pc / $bw | r2) + "x bwrap"
	                         + (if $pm then ", " + ($pc / $pm | r2) + "x podman" else "" end)),
	   bars: ([["podctl", $pc], ["bwrap", $bw], ["unshare", $un]] + (if $pm then [["podman", $pm]] else [] end))},
	  {panel: "lat", label: ("exec /bin/true\\n" + ($e.podctl / $e.podman | r2) + "x podman"),
	   bars: [["podctl", $e.podctl], ["podman", $e.podman]]},
	  {panel: "lat", label: ("2-container pod\\nuntil Ready\\n" + ($l.pod_ready.ratio_podctl_podman | r2) + "x podman"),
	   bars: [["podctl", $l.pod_ready.median.podctl], ["podman", $l.pod_ready.median.podman]]},
	  {panel: "lat", label: ("stop + rm\\n" + ($l.stop_rm.ratio_podctl_podman | r2) + "x podman"),
	   bars: [["podctl", $l.stop_rm.median.podctl], ["podman", $l.stop_rm.median.podman]]},
	  {panel: "lat", label: ("\($l.bulk.pods) pods: run -d,\\nthen rm -f\\n" + ($l.bulk.ratio_podctl_podman | r2) + "x podman"),
	   bars: [["podctl", $l.bulk.median.podctl], ["podman", $l.bulk.median.podman]]},
	  {panel: "lat", label: ("run --rm IMAGE\\n" + ($i.run.ratio_podctl_podman | r2) + "x podman"),
	   bars: [["podctl", $i.run.median.podctl], ["podman", $i.run.median.podman]]},
	  {panel: "lat", label: ("load \($i.load.archive_mb) MB\\noci-archive\\n" + ($i.load.ratio_podctl_podman | r2) + "x podman"),
	   bars: [["podctl", $i.load.median.podctl], ["podman", $i.load.median.podman]]},
	  {panel: "lat", label: ("run --rm, default\\nnetwork (pasta)\\n" + ($n.start.ratio_podctl_podman | r2) + "x podman"),
	   bars: [["podctl", $n.start.median.podctl], ["podman", $n.start.median.podman]]},
	  ({"1": "1 pod", "20": "20 pods"} | to_entries[] | .key as $k |
	   {panel: "mem", label: (.value + "\\n" + ($m.podctl[$k].vmrss_kb_per_pod.median / $m["podman-pod"][$k].vmrss_kb_per_pod.median | r2)
	                          + "x podman pod"),
	    bars: [["podctl", $m.podctl[$k].vmrss_kb_per_pod.median], ["podman-ctr", $m["podman-ctr"][$k].vmrss_kb_per_pod.median],
	           ["podman-pod", $m["podman-pod"][$k].vmrss_kb_per_pod.median]]})
	  ]
	| (map(select(.panel == "lat")) | to_entries[] | .key as $g | .value
	   | bars("lat"; $g; .bars | map(. + [.[1] | ms])), "label\tlat\t\($g)\t\(.label)"),
	  (map(select(.panel == "mem")) | to_entries[] | .key as $g | .value
	   | bars("mem"; $g; .bars | map(. + [.[1] | kb])), "label\tmem\t\($g)\t\(.label)"),
	  "title\t\($l.machine.nproc) CPUs, kernel \($l.machine.kernel), podman \($l.machine.podman), podctl \($l.machine.podctl_commit), \($l.machine.date[0:10]); medians of \($l.pod_ready.runs) runs (\($l.bulk.rounds) rounds of \($l.bulk.pods) pods)"
	' >"$tmp/all"

awk -F'\t' '$1 == "lat"' "$tmp/all" >"$tmp/lat.dat"
awk -F'\t' '$1 == "mem"' "$tmp/all" >"$tmp/mem.dat"
# xtics: ("label" x, ...), gnuplot string syntax.
xtics() { awk -F'\t' -v p="$1" '$1 == "label" && $2 == p { gsub(/"/, "\\\"", $4); printf "%s\"%s\" %s", n++ ? ", " : "", $4, $3 }' "$tmp/all"; }
lat_groups=$(awk -F'\t' '$1 == "label" && $2 == "lat"' "$tmp/all" | wc -l)
mem_groups=$(awk -F'\t' '$1 == "label" && $2 == "mem"' "$tmp/all" | wc -l)
lat_max=$(awk -F'\t' '$3 > m { m = $3 } END { print m }' "$tmp/lat.dat")
mem_max=$(awk -F'\t' '$3 > m { m = $3 } END { print m }' "$tmp/mem.dat")
subtitle=$(awk -F'\t' '$1 == "title" { print $2 }' "$tmp/all")

gnuplot <<EOF
set terminal pngcairo size 1750,620 font "DejaVu Sans,11" noenhanced
set output "$png"
set datafile separator "\t"
set style fill solid 0.9 border rgb "#333333"
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top left Left reverse noautotitle samplen 1.5
bw = 0.8 / 4
set multiplot title "podctl vs peers, rootless: medians (lower is better)\n$subtitle" font ",13"

# Latencies, ms, log scale.
set origin 0, 0
set size 0.70, 0.92
set lmargin 10
set bmargin 5.5
set logscale y
set yrange [1:${lat_max} * 3]
set format y "%g"
set ylabel "milliseconds (log scale)"
set xrange [-0.6:${lat_groups} - 0.4]
set xtics ($(xtics lat)) font ",10"
plot "$tmp/lat.dat" using 2:3:(\$2 - bw / 2):(\$2 + bw / 2):(1):3:(int("0x" . substr(strcol(4), 2, 7))) \
       with boxxyerror lc rgb variable, \
     "" using 2:(\$3 * 1.25):5 with labels font ",9", \
     keyentry with boxes lc rgb "#2b6cb0" title "podctl", \
     keyentry with boxes lc rgb "#38a169" title "bwrap", \
     keyentry with boxes lc rgb "#a0aec0" title "unshare (floor)", \
     keyentry with boxes lc rgb "#dd6b20" title "podman"

# Memory per idle pod, kB, linear.
set origin 0.70, 0
set size 0.30, 0.92
set lmargin 9
unset logscale y
set yrange [0:${mem_max} * 1.3]
set ylabel "kB per idle pod (VmRSS, workload excluded)"
set xrange [-0.6:${mem_groups} - 0.4]
set xtics ($(xtics mem)) font ",10"
plot "$tmp/mem.dat" using 2:3:(\$2 - bw / 2):(\$2 + bw / 2):(0):3:(int("0x" . substr(strcol(4), 2, 7))) \
       with boxxyerror lc rgb variable, \
     "" using 2:(\$3 + ${mem_max} * 0.04):5 with labels font ",9", \
     keyentry with boxes lc rgb "#2b6cb0" title "podctl", \
     keyentry with boxes lc rgb "#f6ad55" title "podman container", \
     keyentry with boxes lc rgb "#c05621" title "podman pod (infra)"
unset multiplot
EOF
