process PREPARE_ONE {
    secret params.secret_name
    script:
    "echo"
}

workflow PREPARE {
    main:
    def secret = 'not a directive'
    secret = "still not"
    PREPARE_ONE()
}
