************************************************************************
* Process and Simulation Conditions (PVT)
************************************************************************
.title fmax

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

.param pad_parest = 1

************************************************************************
* Bench: weak pull-up of two SKY130 1.8 V pad slices (wkpup_pad_x2)
*   slice 0: pad swept 0 -> vcn through 1 ohm: ioh_0, ioh, ioh0, ioh1
*            and the pull-up resistances rwkpull0, rwkpull_vih(2)
*   slice 1: pad floating: the pull-up charges it to vwkp (vwkp_drop)
*   output drivers and ODT off; the pull-up leg comes from
*   common/lib/weakpullup.lib, section selected on line 52:
*   enable (GPIO) | enable_i3c (I3C) | disable
*   units: A, ohm, V (currents into the pad port: negative = sourcing)
*
* Rails: vc = vcc_io (core side, enable logic), vcn = vccn_io (pad
* supply of the pull-up), vctx = vccldo_io, vccana = vccana_io,
* vsh = vssh_io (idle pre-driver rails).
* Pad trace parasitics (spf): typical for prelay runs, the polo
* extraction (cworst_CCworst_T / cbest_CCbest_T) otherwise (rule 3).
************************************************************************

************************************************************************
* Include lib & netlist stimulus
************************************************************************
.inc "../../../../../../common/cir/wkpup_pad_x2.cir"
.inc "../../../../../../common/spf/wkpup_tparam_typical.spf"

* pull-up flavour (the only line that differs between gpio and i3c)


.lib "../../../../../../common/lib/weakpullup.lib" enable


xdut datain0 datain1 drven0 drven1 odten padsig0 padsig1 vcc_io vccana_io vccldo_io vccn_io vss_io vssh_io wkpup_pad_x2

** supply **
vvcc_io vcc_io 0 {vc}
vvccn_io vccn_io 0 {vcn}
vvccldo_io vccldo_io 0 {vctx}
vvccana_io vccana_io 0 {vccana}
vvssh_io vssh_io 0 {vsh}
vvss_io vss_io 0 0

**stimulus**
vodten odten 0 0

vdrven0 drven0 0 0
vdatain0 datain0 0 0

vdrven1 drven1 0 0
vdatain1 datain1 0 0

* pad trace parasitics (spf: typical, or the polo extraction) between pad port and ball
xtrace0 padsig0 trace0 0 wkpup_tparam_trace
xtrace1 padsig1 trace1 0 wkpup_tparam_trace
rball0 trace0 ball0 {pad_parest}
rball1 trace1 ball1 {pad_parest}

vball0 ball0 0 PWL(0 0 10u {vcn})


.tran 1n 10u

* isub(xdut.padsig<n>) of the real flow = i(v.xdut.visub<n>): current into the pad port
.meas tran ioh_0 FIND i(v.xdut.visub0) AT=0
.meas tran ioh FIND i(v.xdut.visub0) WHEN v(ball0)='0.65*vcn' cross=1
.meas tran ioh0 FIND i(v.xdut.visub0) WHEN v(ball0)='0.65*vcn+0.05' cross=1
.meas tran ioh1 FIND i(v.xdut.visub0) WHEN v(ball0)='0.65*vcn-0.05' cross=1
.meas tran rwkpull0 param='abs(vcn/(ioh_0))'
.meas tran rwkpull_vih param='abs(0.35*vcn/(ioh))'
.meas tran rwkpull_vih2 param='abs(0.1/(ioh0-ioh1))'

.meas tran vwkp FIND v(ball1) AT=10u
.meas tran vwkp_drop param='vcn-vwkp'

.end
