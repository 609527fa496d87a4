#!/usr/bin/env nextflow
/*
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    nf-core/secretsdemo
    Github : https://github.com/nf-core/secretsdemo
    secret 'NOT_A_DIRECTIVE_IN_COMMENT'   secrets.NOT_IN_BLOCK_COMMENT
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
*/
// lockstep: optional SLACK_WEBHOOK
nextflow.enable.dsl = 2

include { SECRETSDEMO } from './workflows/secretsdemo'
include { PREPARE     } from './subworkflows/local/prepare'

workflow NFCORE_SECRETSDEMO {
    take:
    samplesheet

    main:
    SECRETSDEMO ( samplesheet )
}

workflow {
    // secrets.NOT_IN_LINE_COMMENT
    def banner = "uses secrets.NOT_IN_PLAIN_STRING and 'secret X'"
    log.info banner
    if (secrets.SLACK_WEBHOOK) {
        log.info "notifications on"
    }
    NFCORE_SECRETSDEMO ( Channel.fromPath(params.input) )
}
