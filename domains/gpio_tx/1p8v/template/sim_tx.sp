************************************************************************
* Process and Simulation Conditions (PVT)
************************************************************************
.title txdrv

.lib "$DP_HSPICE_MODEL" TT

************************************************************************
* options (ngspice 39, SKY130)
************************************************************************

.option method=gear

************************************************************************
* simulation parameter
************************************************************************
.temp 100
.param vcn=1.8
.param vc=1.8
.param vctx=0.9
.param vccana=1.8
.param vsh=0.95

.param cload = 2p
.param rterm = 1k

************************************************************************
* Bench: TX driver timing of one SKY130 1.8 V GPIO slice (gpio_tx_x1)
*   datain (vc domain) toggles at 100 MHz; the slice drives padsig,
*   1 ohm package to ball, ball loaded by cload to ground and by rterm
*   to the termination rail vtt = vctx (half of vccn unless vcctx is swept)
*   del_rr / del_ff: datain 50 % of vc -> ball 50 % of vcn, 2nd rising /
*   falling edge; trise / tfall: ball 20-80 % / 80-20 % of vcn, 2nd edge;
*   dcd: duty-cycle distortion = del_ff - del_rr (ball high time minus
*   datain high time); tph: ball high time at 50 % of vcn. Units: s.
* Rails: vc = vcc_io (input buffer), vcn = vccn_io (level shifter,
* pre-driver, output driver), vctx = termination, vccana / vsh idle.
* Routing parasitics (spf): typical for prelay runs, the polo
* extraction (cworst_CCworst_T / cbest_CCbest_T) otherwise (rule 3).
************************************************************************

************************************************************************
* Include lib & netlist stimulus
************************************************************************
.inc "../../../../../../common/cir/gpio_tx_x1.cir"
.inc "../../../../../../common/spf/txdrv_tparam_typical.spf"

xdut datain drven padsig vcc_io vccn_io vss_io gpio_tx_x1

** supply **
vvcc_io vcc_io 0 {vc}
vvccn_io vccn_io 0 {vcn}
vvtt vtt 0 {vctx}
vvccana_io vccana_io 0 {vccana}
vvssh_io vssh_io 0 {vsh}
vvss_io vss_io 0 0
rvccana vccana_io 0 1meg
rvssh vssh_io 0 1meg

**stimulus**
vdrven drven 0 {vc}
vdatain datain 0 PULSE(0 {vc} 1n 50p 50p 4.95n 10n)

** package and load **
rpkg padsig ball 1
cball ball 0 {cload}
rball ball vtt {rterm}


.tran 10p 20n

.meas tran del_rr TRIG v(datain) VAL='0.5*vc' RISE=2 TARG v(ball) VAL='0.5*vcn' RISE=2
.meas tran del_ff TRIG v(datain) VAL='0.5*vc' FALL=2 TARG v(ball) VAL='0.5*vcn' FALL=2
.meas tran trise TRIG v(ball) VAL='0.2*vcn' RISE=2 TARG v(ball) VAL='0.8*vcn' RISE=2
.meas tran tfall TRIG v(ball) VAL='0.8*vcn' FALL=2 TARG v(ball) VAL='0.2*vcn' FALL=2
.meas tran tph TRIG v(ball) VAL='0.5*vcn' RISE=2 TARG v(ball) VAL='0.5*vcn' FALL=2
.meas tran dcd param='del_ff-del_rr'

************************************************************************
* .alter sweeps (alter_extraction:Yes reads one measure file per run):
* the netlist above is the base run (title txdrv, cload 2 pF); each block
* below is one more run with its changes, cumulatively as in HSPICE.
************************************************************************
.alter cload5p
.param cload = 5p

.alter cload10p
.param cload = 10p

.end
