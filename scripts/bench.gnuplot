# The plot of scripts/bench.sh: gnuplot -e "dir='DIR'" scripts/bench.gnuplot > bench.png
set terminal pngcairo size 1000,1100 font "sans,10"
election = system("test -s ".dir."/election.dat && echo 1") eq "1"
set multiplot layout (election ? 3 : 2),1
set style data histograms
set style fill solid 0.7 border -1
set boxwidth 0.7
set grid ytics
set key off
set xtics rotate by -20 noenhanced font ",9"
set yrange [0:*]

set title "one-shot commands: median wall time (bars: min..max), log scale"
set ylabel "ms"
set logscale y
set yrange [1:*]
set style histogram errorbars gap 1 lw 1
plot dir.'/once.dat' using 2:3:4:xtic(1) linecolor rgb "#4477aa"

unset logscale y
set yrange [0:*]
set title "long-running, idle: resident memory (median)"
set ylabel "MiB"
set style histogram rowstacked
set key top left
plot dir.'/idle.dat' using 3:xtic(1) title "anonymous" linecolor rgb "#cc6677", \
     '' using 4 title "file-backed" linecolor rgb "#88ccee"

if (election) {
  set title "leader election, 3 replicas, 3s/2s/500ms: failover, median (bars: min..max), log scale\nclient-go: graceful 500-1100 ms, crash 3000-4100 ms after the last renewal"
  set ylabel "ms"
  set logscale y
  set yrange [1:*]
  set key off
  set style histogram errorbars gap 1 lw 1
  plot dir.'/election.dat' using 2:3:4:xtic(1) linecolor rgb "#117733"
}
unset multiplot
